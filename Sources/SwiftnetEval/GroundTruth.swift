import SwiftnetCore
/// An object class: its COCO `category_id` and its name. Its position in
/// ``GroundTruth/categories`` is the darknet/YOLO class index.
public struct Category: Sendable, Equatable {
    /// COCO `category_id`.
    public var id: Int
    /// Class name (`.names` line or COCO `name`).
    public var name: String

    /// Creates a category.
    public init(id: Int, name: String) {
        self.id = id
        self.name = name
    }
}

/// One evaluated image.
public struct EvalImage: Sendable, Equatable {
    /// COCO `image_id` (for list-based ground truth see ``DarknetListOptions``).
    public var id: Int
    /// The image path as given by the darknet list, or the COCO `file_name`.
    public var path: String
    /// Pixel size, when known (needed to convert between pixel and normalized boxes).
    public var size: ImageSize?

    /// Creates an image entry.
    public init(id: Int, path: String, size: ImageSize?) {
        self.id = id
        self.path = path
        self.size = size
    }
}

/// One ground-truth object.
public struct GroundTruthObject: Sendable, Equatable {
    /// Index into ``GroundTruth/categories`` (the YOLO class).
    public var classIndex: Int
    /// The box as darknet sees it (normalized, float32); nil when the image size is unknown.
    public var relative: Box?
    /// The box in pixels as COCO sees it; nil when the image size is unknown.
    public var pixel: PixelBox?
    /// COCO `area` (used for the small/medium/large ranges); `w*h` in pixels for YOLO labels.
    public var area: Double
    /// COCO `iscrowd`: ignored by COCO matching; skipped by the darknet protocol unless
    /// ``DarknetOptions/crowdAsLabels`` is set.
    public var isCrowd: Bool
    /// COCO annotation id (1-based position for YOLO labels). pycocotools treats id 0 as "unmatched".
    public var annotationId: Int

    /// Creates an object; see the properties.
    public init(classIndex: Int, relative: Box?, pixel: PixelBox?, area: Double,
                isCrowd: Bool, annotationId: Int) {
        self.classIndex = classIndex
        self.relative = relative
        self.pixel = pixel
        self.area = area
        self.isCrowd = isCrowd
        self.annotationId = annotationId
    }
}

/// What a ground-truth loader noticed but did not treat as an error.
public struct GroundTruthDiagnostics: Sendable, Equatable {
    /// Images with no ground-truth object (missing or empty label file, or no annotation).
    public var backgroundImages = 0
    /// Images whose label file does not exist (darknet: "Can't open label file"); they count as background.
    public var missingLabelFiles = SkipReport()
    /// Image paths for which darknet's label-path rule finds no supported extension.
    public var uninferableLabelPaths = SkipReport()
    /// Images whose pixel size is unknown (COCO protocol unavailable for them).
    public var imagesWithoutSize = SkipReport()
    /// COCO annotations skipped because their image or category is not declared.
    public var orphanAnnotations = SkipReport()
    /// How image ids were assigned (list route): "numeric file name", "list position" or "catalog".
    public var imageIdSource = ""

    /// Empty diagnostics.
    public init() {}
}

/// Ground truth in a form both protocols can use.
///
/// `images` is in darknet list order (for COCO instance files: ascending `image_id`), and each
/// image's objects keep label-file / annotation-file order, which decides darknet's GT tie order.
public struct GroundTruth: Sendable {
    /// Classes in YOLO index order. For COCO files: categories sorted by ascending id.
    public let categories: [Category]
    /// Evaluated images, in darknet list order.
    public let images: [EvalImage]
    /// Objects per image, aligned with `images`.
    public let objects: [[GroundTruthObject]]
    /// Non-fatal findings of the loader.
    public var diagnostics: GroundTruthDiagnostics

    private let categoryIndex: [Int: Int]
    private let imageIdIndex: [Int: Int]
    private let pathIndex: [String: Int]
    private let fileNameIndex: [String: Int]

    /// Builds ground truth from memory.
    ///
    /// - Throws: ``EvalError/inconsistentInput(_:)`` if `objects` is not aligned with `images`,
    ///   a class index is out of range, or category/image ids repeat.
    public init(categories: [Category], images: [EvalImage], objects: [[GroundTruthObject]],
                diagnostics: GroundTruthDiagnostics = GroundTruthDiagnostics()) throws {
        guard objects.count == images.count else {
            throw EvalError.inconsistentInput("\(objects.count) object lists for \(images.count) images")
        }
        var categoryIndex: [Int: Int] = [:]
        for (k, c) in categories.enumerated() {
            guard categoryIndex.updateValue(k, forKey: c.id) == nil else {
                throw EvalError.inconsistentInput("category id \(c.id) appears twice")
            }
        }
        var imageIdIndex: [Int: Int] = [:]
        for (k, image) in images.enumerated() {
            guard imageIdIndex.updateValue(k, forKey: image.id) == nil else {
                throw EvalError.inconsistentInput("image id \(image.id) appears twice (\(image.path))")
            }
        }
        for (k, list) in objects.enumerated() {
            for o in list where o.classIndex < 0 || o.classIndex >= categories.count {
                throw EvalError.inconsistentInput(
                    "object of class \(o.classIndex) in \(images[k].path), but there are \(categories.count) classes")
            }
        }
        var pathIndex: [String: Int] = [:]
        var fileNameIndex: [String: Int] = [:]
        var ambiguous = Set<String>()
        for (k, image) in images.enumerated() {
            if pathIndex[image.path] == nil { pathIndex[image.path] = k }
            let name = PathRules.fileName(image.path)
            if fileNameIndex.updateValue(k, forKey: name) != nil { ambiguous.insert(name) }
        }
        for name in ambiguous { fileNameIndex[name] = nil }
        self.categories = categories
        self.images = images
        self.objects = objects
        self.diagnostics = diagnostics
        self.categoryIndex = categoryIndex
        self.imageIdIndex = imageIdIndex
        self.pathIndex = pathIndex
        self.fileNameIndex = fileNameIndex
    }

    /// Total number of objects.
    public var objectCount: Int { objects.reduce(0) { $0 + $1.count } }

    /// Index of the class with this COCO category id.
    public func classIndex(forCategoryId id: Int) -> Int? { categoryIndex[id] }

    /// Index of the image with this COCO image id.
    public func imageIndex(forImageId id: Int) -> Int? { imageIdIndex[id] }

    /// Index of the image a detection file names: the exact list path first, then a unique file
    /// name (last path component), then a numeric file stem read as a COCO image id.
    public func imageIndex(forPath path: String) -> Int? {
        if let k = pathIndex[path] { return k }
        let name = PathRules.fileName(path)
        if let k = fileNameIndex[name] { return k }
        if let id = PathRules.numericStem(path) { return imageIdIndex[id] }
        return nil
    }
}

/// A count of skipped or noteworthy items, with a few examples for messages.
public struct SkipReport: Sendable, Equatable, CustomStringConvertible {
    /// How many items.
    public private(set) var count = 0
    /// Up to ``maxExamples`` short descriptions.
    public private(set) var examples: [String] = []
    /// How many examples are kept.
    public static let maxExamples = 5

    /// An empty report.
    public init() {}

    /// Counts one item; keeps its description if fewer than ``maxExamples`` are stored.
    public mutating func add(_ example: @autoclosure () -> String) {
        count += 1
        if examples.count < SkipReport.maxExamples { examples.append(example()) }
    }

    /// `count` followed by the examples.
    public var description: String {
        count == 0 ? "0" : "\(count) (e.g. \(examples.joined(separator: "; ")))"
    }
}
