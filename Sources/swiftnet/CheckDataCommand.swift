import ArgumentParser
import Foundation
import SwiftnetFormat
import SwiftnetTrain

struct CheckData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-data",
        abstract: "Validate a dataset before training: unreadable images, label problems, class ids, boxes, duplicates.",
        discussion: """
        Exits 65 when there are errors (missing label files and empty labels are warnings: background images). A .data \
        file with labels= is a classifier dataset (as darknet's classifier .data files): every image path must contain \
        exactly one class name, and no label files are read.
        """)

    @Option(help: "Darknet .data file (train=, valid=, classes= or names=).")
    var data: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Check only the train list (default: train and valid).")
    var trainOnly = false

    func run() throws {
        try reportingErrors {
            let file = try DataFile(contentsOf: data)
            let classes: Int
            if let declared = try file.classes() {
                classes = declared
            } else if let names = file.string("labels") ?? file.string("names") {
                classes = try NamesFile.read(file.resolve(names)).count
                guard classes > 0 else { throw SwiftnetError.data(path: file.resolve(names), line: nil, message: "has no class names") }
            } else {
                throw SwiftnetError.data(path: data, line: nil, message: "needs classes=, names= or labels= to check class ids")
            }
            let classifier = file.string("labels") != nil
            let dataset = try TrainingDataset(dataPath: data, networkClasses: classes, cfgPath: "the dataset", classifier: classifier)
            var paths = dataset.trainPaths
            if !trainOnly, let valid = dataset.validList {
                guard FileManager.default.fileExists(atPath: valid) else {
                    throw SwiftnetError.data(path: data, line: file.entries["valid"]?.line, message: "valid list \(valid) does not exist")
                }
                paths += textLines(try readTextFile(valid)).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            let report = classifier ? DataCheck.checkClassification(images: paths, names: dataset.names, resolve: dataset.resolve)
                                    : DataCheck.check(images: paths, classes: classes, resolve: dataset.resolve)
            print(json ? report.json() : report.text(), terminator: json ? "" : "\n")
            if !report.errors.isEmpty { throw ExitCode(65) }
        }
    }
}
