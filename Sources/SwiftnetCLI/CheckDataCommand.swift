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
            let dataset = try DarknetDataset(contentsOf: data)
            let classifier = dataset.file.string("labels") != nil
            let classes: Int
            if let declared = try dataset.classes() {
                classes = declared
            } else if let names = try dataset.classNames(classifier: classifier) {
                classes = names.count
            } else {
                throw SwiftnetError.data(path: data, line: nil, message: "needs classes=, names= or labels= to check class ids")
            }
            let training = try TrainingDataset(dataPath: data, networkClasses: classes, cfgPath: "the dataset", classifier: classifier)
            var lists = [training.trainList]
            if !trainOnly {
                guard let valid = try dataset.imageList("valid", what: "the list of validation images") else {
                    throw SwiftnetError.data(path: data, line: nil, message: "no valid= entry (the list of validation images); pass --train-only to check the training list alone")
                }
                lists.append(valid)
            }
            let report = classifier ? DataCheck.checkClassification(lists: lists, names: training.names)
                                    : DataCheck.check(lists: lists, classes: classes)
            print(json ? report.json() : report.text(), terminator: json ? "" : "\n")
            if !report.errors.isEmpty { throw ExitCode(65) }
        }
    }
}
