import ArgumentParser
import Foundation
import SwiftnetData
import SwiftnetFormat

struct Dataset: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate datasets.",
        subcommands: [Shapes.self, Sample.self])

    struct Shapes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a synthetic detection dataset of filled shapes (\(ShapesDataset.classNames.joined(separator: ", "))).",
            discussion: """
            Writes DIR/images/NNNNNN.jpg with YOLO labels next to them (NNNNNN.txt), DIR/train.txt and DIR/valid.txt \
            (image paths starting with DIR as given), DIR/shapes.names and DIR/shapes.data (backup=DIR/backup). \
            The same --seed gives the same dataset. cfg/shapes.cfg is a small detector sized for it.
            """)

        @Option(help: "Output folder (created if needed); list and .data paths start with it as given.")
        var out: String

        @Option(parsing: .unconditional, help: "Number of images.")
        var count: Int = 2000

        @Option(parsing: .unconditional, help: "Dataset seed.")
        var seed: UInt64 = 1

        @Option(parsing: .unconditional, help: "Image side in pixels (images are square).")
        var size: Int = 256

        @Option(parsing: .unconditional, help: "Share of the images listed in valid.txt, in [0, 1).")
        var validFraction: Double = 0.2

        @Flag(help: "A classification dataset: one shape per image, the class name in the file name, labels= in the .data file.")
        var classification = false

        @Option(parsing: .unconditional, help: "Use the first N shape classes only (1…\(ShapesDataset.classNames.count)).")
        var classes: Int = ShapesDataset.classNames.count

        func validate() throws {
            if count < 1 || count > ShapesDataset.maxCount { throw ValidationError("--count must be 1…\(ShapesDataset.maxCount)") }
            if size < 32 || size > 8192 { throw ValidationError("--size must be 32…8192") }
            if !(validFraction >= 0 && validFraction < 1) { throw ValidationError("--valid-fraction must be in [0, 1)") }
            let valid = Int((Double(count) * validFraction).rounded())
            if count - valid < 1 {
                throw ValidationError("--count \(count) with --valid-fraction \(validFraction) puts all \(count) images in valid.txt and none in train.txt; raise --count or lower --valid-fraction")
            }
            if out.isEmpty { throw ValidationError("--out must not be empty") }
            if !(1...ShapesDataset.classNames.count).contains(classes) { throw ValidationError("--classes must be 1…\(ShapesDataset.classNames.count)") }
        }

        func run() throws {
            try reportingErrors {
                let start = DispatchTime.now().uptimeNanoseconds
                let summary = try ShapesDataset.generate(outputDirectory: out, count: count, seed: seed, imageSize: size,
                                                         validFraction: validFraction, classification: classification, classes: classes)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let objects = summary.objectsPerClass.reduce(0, +)
                print(String(format: "%d images (%d train, %d valid), %dx%d, %d objects, %.1f s",
                             summary.imageCount, summary.trainCount, summary.validCount, size, size, objects, seconds))
                for (name, n) in zip(ShapesDataset.classNames.prefix(classes), summary.objectsPerClass) {
                    print("  \(name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(n)")
                }
                print("data: \(summary.dataFile)")
            }
        }
    }

    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write one synthetic shapes picture (and its YOLO labels next to it), e.g. a demo image.")

        @Option(help: "Output image (.jpg or .png); the labels go to the same path with .txt.")
        var out: String

        @Option(parsing: .unconditional, help: "Picture seed.")
        var seed: UInt64 = 2024

        @Option(parsing: .unconditional, help: "Image side in pixels.")
        var size: Int = 256

        func validate() throws {
            if size < 32 || size > 8192 { throw ValidationError("--size must be 32…8192") }
        }

        func run() throws {
            try reportingErrors {
                let (image, labels) = ShapesDataset.sample(seed: seed, size: size)
                try ImageIO.write(image, to: out, quality: 92)
                let labelPath = URL(fileURLWithPath: out).deletingPathExtension().appendingPathExtension("txt").path
                try AtomicFile.write(labels.map(\.yoloLine).joined(separator: "\n") + "\n", to: labelPath)
                print("\(out): \(labels.count) shapes (labels in \(labelPath))")
            }
        }
    }
}
