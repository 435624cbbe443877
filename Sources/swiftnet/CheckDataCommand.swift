import ArgumentParser
import Foundation
import SwiftnetFormat
import SwiftnetTrain

struct CheckData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-data",
        abstract: "Validate a dataset before training: unreadable images, label problems, class ids, boxes, duplicates.",
        discussion: "Exits 1 when there are errors (missing label files and empty labels are warnings: background images).")

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
            if let declared = try file.int("classes") {
                classes = declared
            } else if let names = file.string("names") {
                classes = try NamesFile.read(file.resolve(names)).count
            } else {
                throw SwiftnetError.data(path: data, line: nil, message: "needs classes= or names= to check class ids")
            }
            let dataset = try TrainingDataset(dataPath: data, networkClasses: classes, cfgPath: "the dataset")
            var paths = dataset.trainPaths
            if !trainOnly, let valid = dataset.validList, FileManager.default.fileExists(atPath: valid) {
                paths += textLines(try readTextFile(valid)).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            let report = DataCheck.check(images: paths, classes: classes, resolve: dataset.resolve)
            print(json ? report.json() : report.text(), terminator: json ? "" : "\n")
            if !report.errors.isEmpty { throw ExitCode.failure }
        }
    }
}
