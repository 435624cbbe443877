import Foundation
import SwiftnetCore
import SwiftnetFormat

/// Image ids and pixel sizes known from elsewhere, looked up by file name (last path component).
///
/// Typically built from a COCO instances file that describes the same images as a darknet list,
/// so that the list route can run the COCO protocol without reading image files.
public struct ImageCatalog: Sendable {
    private var entries: [String: EvalImage] = [:]

    /// A catalog of `images`, keyed by the file name of each `path`.
    public init(images: [EvalImage]) {
        for image in images { entries[PathRules.fileName(image.path)] = image }
    }

    /// The catalog entry whose file name equals that of `path`.
    public func image(forPath path: String) -> EvalImage? { entries[PathRules.fileName(path)] }
}

/// Options for ground truth read from a darknet image list and YOLO label files.
public struct DarknetListOptions: Sendable {
    /// COCO `category_id` of each class index (needed to read COCO results files); nil means the
    /// class index itself. Must have one entry per class name.
    public var categoryIds: [Int]?
    /// Known image ids and sizes (for example ``ImageCatalog`` from the matching COCO file).
    public var catalog: ImageCatalog?
    /// When a size is not in the catalog, read it from the image file's header (JPEG/PNG/BMP/PNM).
    /// Images whose size stays unknown make the COCO protocol unavailable; the darknet protocol
    /// never needs sizes.
    public var readImageHeaders = true
    /// The working directory that relative paths (the `.data` file's entries, list entries, label files) are
    /// read from, as darknet reads them from its own; nil means the process's working directory.
    public var baseDirectory: String?

    /// Creates options; see the properties for the meaning of each.
    public init(categoryIds: [Int]? = nil, catalog: ImageCatalog? = nil, readImageHeaders: Bool = true,
                baseDirectory: String? = nil) {
        self.categoryIds = categoryIds
        self.catalog = catalog
        self.readImageHeaders = readImageHeaders
        self.baseDirectory = baseDirectory
    }
}

extension GroundTruth {
    /// Loads ground truth the way `darknet detector map` does: the image list, and for each image
    /// the label file given by `DarknetDataset.labelPath(forImage:)`.
    ///
    /// Image ids come from the catalog when it knows the file name, otherwise from an all-digit
    /// file stem (darknet `valid`'s COCO convention); if that leaves an image without an id or two
    /// images with the same id, every image gets its 1-based list position instead
    /// (``GroundTruthDiagnostics/imageIdSource`` says which). Annotation ids are 1, 2, ... in list
    /// order. A missing label file means a background image and is reported in
    /// ``GroundTruthDiagnostics/missingLabelFiles``.
    ///
    /// - Parameters:
    ///   - listPath: the `valid` list file.
    ///   - names: class names (the `.names` file), one per class index.
    /// - Throws: ``EvalError/invalidLabel(path:line:reason:)`` for a malformed label line,
    ///   ``EvalError/unreadableFile(path:reason:)`` for an unreadable list.
    public static func loadDarknetList(listPath: String, names: [String],
                                       options: DarknetListOptions = DarknetListOptions()) throws -> GroundTruth {
        let list = try ImageList(contentsOf: options.resolve(listPath))
        return try loadDarknetImages(list.paths, names: names, options: options)
    }

    /// Loads the `valid` list and `names` named by a darknet `.data` file (paths inside it are
    /// resolved against ``DarknetListOptions/baseDirectory``, like darknet's working directory).
    public static func loadDarknetData(path dataPath: String,
                                       options: DarknetListOptions = DarknetListOptions()) throws -> GroundTruth {
        let data = try DarknetDataset(contentsOf: options.resolve(dataPath)).file
        guard let valid = data.string("valid") else {
            throw SwiftnetError.data(path: dataPath, line: nil, message: "no valid= entry (the list of validation images)")
        }
        let names = try NamesFile.read(options.resolve(data.string("names") ?? "data/names.list"))
        return try loadDarknetList(listPath: valid, names: names, options: options)
    }

    /// Loads ground truth for the given image paths (in darknet list order).
    public static func loadDarknetImages(_ paths: [String], names: [String],
                                         options: DarknetListOptions = DarknetListOptions()) throws -> GroundTruth {
        let categoryIds = options.categoryIds ?? Array(0..<names.count)
        guard categoryIds.count == names.count else {
            throw EvalError.inconsistentInput("\(categoryIds.count) category ids for \(names.count) class names")
        }
        let categories = zip(categoryIds, names).map { Category(id: $0, name: $1) }
        var diagnostics = GroundTruthDiagnostics()
        var images: [EvalImage] = []
        var objects: [[GroundTruthObject]] = []
        var ids: [Int?] = []
        var fromCatalog = 0
        var nextAnnotationId = 1
        for path in paths {
            let known = options.catalog?.image(forPath: path)
            if known != nil { fromCatalog += 1 }
            var size = known?.size
            if size == nil, options.readImageHeaders { size = ImageHeader.size(ofImageAt: options.resolve(path)) }
            if size == nil { diagnostics.imagesWithoutSize.add(path) }
            ids.append(known?.id ?? PathRules.numericStem(path))
            images.append(EvalImage(id: 0, path: path, size: size))

            var list: [GroundTruthObject] = []
            if let labelPath = DarknetDataset.labelPath(forImage: path) {
                if let labels = try YOLOLabels.read(path: options.resolve(labelPath), classCount: names.count) {
                    for label in labels {
                        let pixel = size.map { pixelBox(label.box, $0) }
                        list.append(GroundTruthObject(classIndex: label.classIndex, relative: label.box, pixel: pixel,
                                                      area: pixel?.area ?? 0, isCrowd: false,
                                                      annotationId: nextAnnotationId))
                        nextAnnotationId += 1
                    }
                } else {
                    diagnostics.missingLabelFiles.add(labelPath)
                }
            } else {
                diagnostics.uninferableLabelPaths.add(path)
            }
            if list.isEmpty { diagnostics.backgroundImages += 1 }
            objects.append(list)
        }
        let resolved = ids.compactMap { $0 }
        if resolved.count == ids.count, Set(resolved).count == resolved.count {
            for k in images.indices { images[k].id = resolved[k] }
            diagnostics.imageIdSource = fromCatalog == ids.count ? "catalog" : "numeric file name"
        } else {
            for k in images.indices { images[k].id = k + 1 }
            diagnostics.imageIdSource = "list position"
        }
        return try GroundTruth(categories: categories, images: images, objects: objects, diagnostics: diagnostics)
    }

    /// A label's pixel box: corners `(x ± w/2)·W`, `(y ± h/2)·H` in double, not clipped.
    private static func pixelBox(_ r: Box, _ size: ImageSize) -> PixelBox {
        let W = Double(size.width), H = Double(size.height)
        let x0 = (Double(r.x) - Double(r.w) / 2) * W, y0 = (Double(r.y) - Double(r.h) / 2) * H
        return PixelBox(x: x0, y: y0, width: Double(r.w) * W, height: Double(r.h) * H)
    }
}

extension DarknetListOptions {
    /// `path` resolved against ``baseDirectory`` if it is relative.
    func resolve(_ path: String) -> String {
        guard let base = baseDirectory, !path.hasPrefix("/") else { return path }
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }
}
