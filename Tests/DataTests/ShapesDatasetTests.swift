import Foundation
@testable import SwiftnetData
import SwiftnetFormat
import TestSupport
import XCTest

final class ShapesDatasetTests: XCTestCase {
    private func files(under directory: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: directory))
        for case let relative as String in enumerator {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue { result[relative] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + relative)) }
        }
        return result
    }

    func testSameSeedSameDatasetOtherSeedDifferent() throws {
        let root = try SharedData.temporaryDirectory()
        _ = try ShapesDataset.generate(outputDirectory: root + "/a", count: 12, seed: 7, imageSize: 96)
        _ = try ShapesDataset.generate(outputDirectory: root + "/b", count: 12, seed: 7, imageSize: 96)
        _ = try ShapesDataset.generate(outputDirectory: root + "/c", count: 12, seed: 8, imageSize: 96)
        let a = try files(under: root + "/a"), b = try files(under: root + "/b"), c = try files(under: root + "/c")
        XCTAssertEqual(a.count, 12 * 2 + 4)
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        for (name, data) in a {
            // Lists and the .data file name their own folder; everything else must be byte-identical.
            let other = b[name]!
            if name.hasSuffix(".txt") && !name.hasPrefix("images/") || name.hasSuffix(".data") {
                XCTAssertEqual(String(decoding: data, as: UTF8.self).replacingOccurrences(of: root + "/a", with: "X"),
                               String(decoding: other, as: UTF8.self).replacingOccurrences(of: root + "/b", with: "X"), name)
            } else {
                XCTAssertEqual(data, other, name)
            }
        }
        XCTAssertNotEqual(a["images/000000.jpg"], c["images/000000.jpg"])

        let s1 = ShapesDataset.sample(seed: 3, size: 128), s2 = ShapesDataset.sample(seed: 3, size: 128)
        XCTAssertEqual(s1.image, s2.image)
        XCTAssertEqual(s1.labels, s2.labels)
        XCTAssertNotEqual(ShapesDataset.sample(seed: 4, size: 128).image, s1.image)
    }

    /// Image `i` of a dataset is the sample of its image seed, independent of the image count; its labels are written
    /// unchanged and its JPEG stays close to the rendered pixels.
    func testWrittenImagesAreTheSamples() throws {
        let root = try SharedData.temporaryDirectory()
        _ = try ShapesDataset.generate(outputDirectory: root + "/small", count: 3, seed: 5, imageSize: 128)
        _ = try ShapesDataset.generate(outputDirectory: root + "/large", count: 6, seed: 5, imageSize: 128)
        for index in 0..<3 {
            let name = String(format: "/images/%06d", index)
            let sample = ShapesDataset.sample(seed: ShapesDataset.imageSeed(5, index), size: 128)
            let labels = try String(contentsOfFile: root + "/small" + name + ".txt", encoding: .utf8)
            XCTAssertEqual(labels, sample.labels.map { $0.yoloLine + "\n" }.joined())
            XCTAssertEqual(labels, try String(contentsOfFile: root + "/large" + name + ".txt", encoding: .utf8))
            let decoded = try ImageIO.readRGB(root + "/small" + name + ".jpg")
            XCTAssertEqual(decoded.width, 128)
            XCTAssertEqual(decoded.height, 128)
            let meanError = zip(decoded.pixels, sample.image.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
            XCTAssertLessThan(Double(meanError) / Double(decoded.pixels.count), 4)
        }
    }

    /// On a uniform background, an unoccluded object's colour extent — pixels of exactly its colour (fully covered)
    /// plus the anti-aliased rim next to them that is nearest to its colour — matches its label box.
    func testLabelsMatchDrawnPixels() throws {
        var checked = 0
        for seed in UInt64(0)..<60 {
            let scene = ShapesDataset.renderScene(seed: seed, size: 256, solidBackground: true)
            let image = scene.image, w = image.width, h = image.height, s = Double(w)
            let palette = [try XCTUnwrap(scene.solidColor)] + scene.objects.map(\.color)
            func color(_ x: Int, _ y: Int) -> Color {
                let p = 3 * (y * w + x)
                return Color(image.pixels[p], image.pixels[p + 1], image.pixels[p + 2])
            }
            func nearest(_ c: Color) -> Int {
                let d = palette.map { q -> Int in
                    let dr = Int(c.r) - Int(q.r), dg = Int(c.g) - Int(q.g), db = Int(c.b) - Int(q.b)
                    return dr * dr + dg * dg + db * db
                }
                return d.firstIndex(of: d.min()!)!
            }
            /// How far `c` lies from the background towards `target` (0 = background, 1 = target).
            func towards(_ c: Color, _ target: Color) -> Double {
                let b = palette[0]
                let d = [Double(target.r) - Double(b.r), Double(target.g) - Double(b.g), Double(target.b) - Double(b.b)]
                let v = [Double(c.r) - Double(b.r), Double(c.g) - Double(b.g), Double(c.b) - Double(b.b)]
                return (d[0] * v[0] + d[1] * v[1] + d[2] * v[2]) / (d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
            }
            for (k, object) in scene.objects.enumerated() {
                let l = object.label
                XCTAssertTrue((0..<ShapesDataset.classNames.count).contains(l.classIndex))
                XCTAssertGreaterThanOrEqual(l.x - l.width / 2, -1e-9)
                XCTAssertLessThanOrEqual(l.x + l.width / 2, 1 + 1e-9)
                XCTAssertGreaterThanOrEqual(l.y - l.height / 2, -1e-9)
                XCTAssertLessThanOrEqual(l.y + l.height / 2, 1 + 1e-9)
                guard object.unoccluded else { continue }

                var exact = [Bool](repeating: false, count: w * h)
                var interior = ShapesDataset.PixelBox(), extent = ShapesDataset.PixelBox()
                for y in 0..<h { for x in 0..<w where color(x, y) == object.color { exact[y * w + x] = true; interior.add(x, y) } }
                XCTAssertFalse(interior.isEmpty, "seed \(seed) object \(k)")
                for y in 0..<h {
                    for x in 0..<w {
                        let nearExact = (max(0, y - 1)...min(h - 1, y + 1)).contains { yy in
                            (max(0, x - 1)...min(w - 1, x + 1)).contains { xx in exact[yy * w + xx] }
                        }
                        if exact[y * w + x] || (nearExact && (nearest(color(x, y)) == k + 1 || towards(color(x, y), object.color) >= 0.45)) {
                            extent.add(x, y)
                        }
                    }
                }
                let lx0 = l.x - l.width / 2, lx1 = l.x + l.width / 2, ly0 = l.y - l.height / 2, ly1 = l.y + l.height / 2
                // Fully covered pixels always lie inside the label.
                XCTAssertTrue(Double(interior.x0) / s >= lx0 - 1e-9 && Double(interior.x1 + 1) / s <= lx1 + 1e-9
                              && Double(interior.y0) / s >= ly0 - 1e-9 && Double(interior.y1 + 1) / s <= ly1 + 1e-9, "seed \(seed) object \(k)")
                let x0 = Double(extent.x0) / s, x1 = Double(extent.x1 + 1) / s, y0 = Double(extent.y0) / s, y1 = Double(extent.y1 + 1) / s
                let iw = max(0, min(x1, lx1) - max(x0, lx0)), ih = max(0, min(y1, ly1) - max(y0, ly0))
                let iou = iw * ih / ((x1 - x0) * (y1 - y0) + l.width * l.height - iw * ih)
                XCTAssertGreaterThanOrEqual(iou, 0.9, "seed \(seed) object \(k) (\(ShapesDataset.classNames[l.classIndex]))")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 100)
    }

    /// The generator produces the variety it promises: every class, border-touching and partly occluded objects,
    /// 1–6 objects per image, sizes across the range.
    func testSceneVariety() {
        var classCounts = [Int](repeating: 0, count: ShapesDataset.classNames.count)
        var borderTouching = 0, occluded = 0, objectCounts = Set<Int>()
        var smallest = 1.0, largest = 0.0
        for seed in UInt64(0)..<300 {
            let scene = ShapesDataset.renderScene(seed: seed, size: 256, solidBackground: false)
            objectCounts.insert(scene.objects.count)
            for object in scene.objects {
                let l = object.label
                classCounts[l.classIndex] += 1
                if l.x - l.width / 2 < 1e-9 || l.y - l.height / 2 < 1e-9 || l.x + l.width / 2 > 1 - 1e-9 || l.y + l.height / 2 > 1 - 1e-9 {
                    borderTouching += 1
                }
                if !object.unoccluded { occluded += 1 }
                smallest = min(smallest, max(l.width, l.height))
                largest = max(largest, max(l.width, l.height))
            }
        }
        XCTAssertTrue(classCounts.allSatisfy { $0 > 100 }, "\(classCounts)")
        XCTAssertGreaterThan(borderTouching, 50)
        XCTAssertGreaterThan(occluded, 50)
        XCTAssertEqual(objectCounts, Set(1...6))
        XCTAssertLessThan(smallest, 0.1)
        XCTAssertGreaterThan(largest, 0.4)
    }

    func testFilesAndListsWithARelativeDirectory() throws {
        let root = try SharedData.temporaryDirectory()
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(root))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }

        let summary = try ShapesDataset.generate(outputDirectory: "out/shapes/", count: 10, seed: 2, imageSize: 64, validFraction: 0.3)
        XCTAssertEqual(summary.imageCount, 10)
        XCTAssertEqual(summary.trainCount, 7)
        XCTAssertEqual(summary.validCount, 3)
        XCTAssertEqual(summary.dataFile, "out/shapes/shapes.data")

        let train = try String(contentsOfFile: "out/shapes/train.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        let valid = try String(contentsOfFile: "out/shapes/valid.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(train.count, 7)
        XCTAssertEqual(valid.count, 3)
        XCTAssertEqual(Set(train + valid), Set((0..<10).map { String(format: "out/shapes/images/%06d.jpg", $0) }))

        var objects = [Int](repeating: 0, count: ShapesDataset.classNames.count)
        let line = try NSRegularExpression(pattern: #"^[0-4]( (0|1)\.[0-9]{6}){4}$"#)
        for path in train + valid {
            XCTAssertEqual(try ImageIO.readRGB(path).width, 64)
            let labels = try String(contentsOfFile: String(path.dropLast(4)) + ".txt", encoding: .utf8)
            XCTAssertTrue(labels.hasSuffix("\n"))
            let lines = labels.split(separator: "\n").map(String.init)
            XCTAssertTrue((1...6).contains(lines.count), path)
            for l in lines {
                XCTAssertNotNil(line.firstMatch(in: l, range: NSRange(l.startIndex..., in: l)), l)
                objects[Int(l.prefix(1))!] += 1
            }
        }
        XCTAssertEqual(objects, summary.objectsPerClass)

        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: "out/shapes/backup", isDirectory: &isDirectory) && isDirectory.boolValue)
        XCTAssertEqual(try String(contentsOfFile: "out/shapes/shapes.names", encoding: .utf8), "circle\nsquare\ntriangle\ncross\nring\n")
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: "out/shapes").filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testDataFileParses() throws {
        let root = try SharedData.temporaryDirectory()
        let summary = try ShapesDataset.generate(outputDirectory: root + "/ds", count: 4, seed: 1, imageSize: 64)
        let data = try DataFile(contentsOf: summary.dataFile)
        XCTAssertEqual(try data.int("classes"), ShapesDataset.classNames.count)
        XCTAssertEqual(data.string("train"), root + "/ds/train.txt")
        XCTAssertEqual(data.string("valid"), root + "/ds/valid.txt")
        XCTAssertEqual(data.string("names"), root + "/ds/shapes.names")
        XCTAssertEqual(data.string("backup"), root + "/ds/backup")
        XCTAssertEqual(try NamesFile.read(data.string("names")!), ShapesDataset.classNames)
        XCTAssertEqual(summary.validCount, 1)
    }

    func testRejectsBadArguments() throws {
        let root = try SharedData.temporaryDirectory()
        XCTAssertThrowsError(try ShapesDataset.generate(outputDirectory: root + "/a", count: 0, seed: 1))
        XCTAssertThrowsError(try ShapesDataset.generate(outputDirectory: root + "/a", count: 2, seed: 1, validFraction: 1))
        XCTAssertThrowsError(try ShapesDataset.generate(outputDirectory: root + "/a", count: 2, seed: 1, imageSize: 16))
        XCTAssertThrowsError(try ShapesDataset.generate(outputDirectory: root + "/with space", count: 2, seed: 1))
        try Data().write(to: URL(fileURLWithPath: root + "/file"))
        XCTAssertThrowsError(try ShapesDataset.generate(outputDirectory: root + "/file", count: 2, seed: 1))
    }
}
