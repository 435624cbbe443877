import Foundation
import SwiftnetCore

extension GroundTruth {
    /// Loads a COCO instances file (`images`, `annotations`, `categories`).
    ///
    /// Classes are the categories in ascending id order (YOLO class `i` = `i`-th smallest id);
    /// images are in ascending `image_id` order, which is also the darknet list order used for
    /// the darknet protocol. Annotations keep file order within each image. `ignore` fields are
    /// overwritten by `iscrowd` as pycocotools does; a missing `area` becomes `w*h`, a missing
    /// `iscrowd` is 0, and images without `width`/`height` get no normalized boxes (the darknet
    /// protocol is then unavailable). Annotations whose image or category is not declared are
    /// skipped and counted in ``GroundTruthDiagnostics/orphanAnnotations``.
    ///
    /// - Throws: ``EvalError/unreadableFile(path:reason:)``, ``EvalError/invalidJSON(path:line:column:reason:)``
    ///   (naming the line of the offending value), ``EvalError/inconsistentInput(_:)`` for duplicate ids.
    public static func loadCOCO(path: String) throws -> GroundTruth {
        try JSONReader.withFile(path) { try parseCOCO(&$0) }
    }

    /// Parses a COCO instances document held in memory; `name` is used in error messages.
    public static func parseCOCO(data: Data, name: String) throws -> GroundTruth {
        try JSONReader.withData(data, name: name) { try parseCOCO(&$0) }
    }

    private struct RawImage {
        var id: Int
        var fileName: String
        var size: ImageSize?
    }

    private struct RawAnnotation {
        var id: Int
        var imageId: Int
        var categoryId: Int
        var bbox: PixelBox
        var area: Double
        var isCrowd: Bool
    }

    private static func parseCOCO(_ r: inout JSONReader) throws -> GroundTruth {
        var images: [RawImage]?
        var annotations: [RawAnnotation] = []
        var categories: [Category]?
        try r.beginObject("a COCO instances object")
        var first = true
        while let key = try r.nextKey(&first) {
            if r.key(key, is: "images") {
                images = try readList(&r, "image") { try readImage(&$0) }
            } else if r.key(key, is: "annotations") {
                annotations = try readList(&r, "annotation") { try readAnnotation(&$0) }
            } else if r.key(key, is: "categories") {
                categories = try readList(&r, "category") { try readCategory(&$0) }
            } else {
                try r.skipValue()
            }
        }
        try r.expectEnd()
        guard let images else { throw r.error("the COCO instances object has no 'images' list", at: 0) }
        guard let categories else { throw r.error("the COCO instances object has no 'categories' list", at: 0) }
        return try assemble(images: images, annotations: annotations, categories: categories, path: r.path)
    }

    private static func readList<T>(_ r: inout JSONReader, _ what: String,
                                    _ element: (inout JSONReader) throws -> T) throws -> [T] {
        try r.beginArray("a list of \(what)s")
        var out: [T] = []
        var first = true
        while try r.nextArrayElement(&first) { out.append(try element(&r)) }
        return out
    }

    private static func readImage(_ r: inout JSONReader) throws -> RawImage {
        let start = r.position
        var id: Int?, fileName = "", width: Int?, height: Int?
        try r.beginObject("an image object")
        var first = true
        while let key = try r.nextKey(&first) {
            if r.key(key, is: "id") {
                id = try r.readInt("an image id")
            } else if r.key(key, is: "file_name") {
                fileName = try r.readString("a file name")
            } else if r.key(key, is: "width") {
                width = try r.readNull() ? nil : try r.readInt("an image width")
            } else if r.key(key, is: "height") {
                height = try r.readNull() ? nil : try r.readInt("an image height")
            } else {
                try r.skipValue()
            }
        }
        guard let id else { throw r.error("image object without 'id'", at: start) }
        var size: ImageSize?
        if let width, let height, width > 0, height > 0 { size = ImageSize(width: width, height: height) }
        return RawImage(id: id, fileName: fileName, size: size)
    }

    private static func readAnnotation(_ r: inout JSONReader) throws -> RawAnnotation {
        let start = r.position
        var id: Int?, imageId: Int?, categoryId: Int?, bbox: PixelBox?, area: Double?, crowd = false
        try r.beginObject("an annotation object")
        var first = true
        while let key = try r.nextKey(&first) {
            if r.key(key, is: "id") {
                id = try r.readInt("an annotation id")
            } else if r.key(key, is: "image_id") {
                imageId = try r.readInt("an image id")
            } else if r.key(key, is: "category_id") {
                categoryId = try r.readInt("a category id")
            } else if r.key(key, is: "bbox") {
                bbox = try readBox(&r)
            } else if r.key(key, is: "area") {
                let at = r.position
                let a = try r.readDouble("an area")
                guard a.isFinite else { throw r.error("area is not finite", at: at) }
                area = a
            } else if r.key(key, is: "iscrowd") {
                crowd = try r.readBool("an iscrowd flag")
            } else {
                try r.skipValue()
            }
        }
        guard let id else { throw r.error("annotation without 'id'", at: start) }
        guard let imageId else { throw r.error("annotation \(id) without 'image_id'", at: start) }
        guard let categoryId else { throw r.error("annotation \(id) without 'category_id'", at: start) }
        guard let bbox else { throw r.error("annotation \(id) without 'bbox'", at: start) }
        return RawAnnotation(id: id, imageId: imageId, categoryId: categoryId, bbox: bbox,
                             area: area ?? bbox.area, isCrowd: crowd)
    }

    private static func readCategory(_ r: inout JSONReader) throws -> Category {
        let start = r.position
        var id: Int?, name = ""
        try r.beginObject("a category object")
        var first = true
        while let key = try r.nextKey(&first) {
            if r.key(key, is: "id") {
                id = try r.readInt("a category id")
            } else if r.key(key, is: "name") {
                name = try r.readString("a category name")
            } else {
                try r.skipValue()
            }
        }
        guard let id else { throw r.error("category without 'id'", at: start) }
        return Category(id: id, name: name)
    }

    /// Reads `[x, y, w, h]` with four finite numbers.
    static func readBox(_ r: inout JSONReader) throws -> PixelBox {
        let start = r.position
        try r.beginArray("a bbox [x, y, w, h]")
        var v = [Double]()
        v.reserveCapacity(4)
        var first = true
        while try r.nextArrayElement(&first) {
            let at = r.position
            let x = try r.readDouble("a bbox coordinate")
            guard x.isFinite else { throw r.error("bbox coordinate is not finite", at: at) }
            v.append(x)
        }
        guard v.count == 4 else { throw r.error("bbox has \(v.count) values, expected 4", at: start) }
        return PixelBox(x: v[0], y: v[1], width: v[2], height: v[3])
    }

    private static func assemble(images raw: [RawImage], annotations: [RawAnnotation],
                                 categories rawCategories: [Category], path: String) throws -> GroundTruth {
        var diagnostics = GroundTruthDiagnostics()
        diagnostics.imageIdSource = "COCO image id"
        let categories = rawCategories.sorted { $0.id < $1.id }
        let sortedImages = raw.sorted { $0.id < $1.id }
        var classOf: [Int: Int] = [:]
        for (k, c) in categories.enumerated() { classOf[c.id] = k }
        var imageOf: [Int: Int] = [:]
        for (k, image) in sortedImages.enumerated() { imageOf[image.id] = k }
        var objects = [[GroundTruthObject]](repeating: [], count: sortedImages.count)
        for a in annotations {
            guard let k = imageOf[a.imageId], let c = classOf[a.categoryId] else {
                diagnostics.orphanAnnotations.add("annotation \(a.id): image \(a.imageId), category \(a.categoryId)")
                continue
            }
            let relative = sortedImages[k].size.map { Box(pixel: a.bbox, in: $0) }
            objects[k].append(GroundTruthObject(classIndex: c, relative: relative, pixel: a.bbox, area: a.area,
                                                isCrowd: a.isCrowd, annotationId: a.id))
        }
        for (k, image) in sortedImages.enumerated() {
            if objects[k].isEmpty { diagnostics.backgroundImages += 1 }
            if image.size == nil { diagnostics.imagesWithoutSize.add("image \(image.id)") }
        }
        let images = sortedImages.map { EvalImage(id: $0.id, path: $0.fileName, size: $0.size) }
        do {
            return try GroundTruth(categories: categories, images: images, objects: objects, diagnostics: diagnostics)
        } catch let EvalError.inconsistentInput(message) {
            throw EvalError.inconsistentInput("\(path): \(message)")
        }
    }
}
