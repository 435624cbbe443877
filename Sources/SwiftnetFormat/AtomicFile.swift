import Foundation

/// Writes files so that a reader (or a crash) never sees a half-written file: the bytes go to a temporary file in
/// the same directory, which is then renamed over the destination.
public enum AtomicFile {
    public static func write(_ data: Data, to requested: String) throws {
        // Devices, pipes and sockets (`/dev/stdout`, a FIFO) are written in place: replacing them would destroy them.
        var info = stat()
        if stat(requested, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            guard (info.st_mode & S_IFMT) != S_IFDIR else { throw SwiftnetError.file(path: requested, message: "is a directory, expected a file") }
            guard let handle = FileHandle(forWritingAtPath: requested) else {
                throw SwiftnetError.file(path: requested, message: "cannot open for writing")
            }
            defer { try? handle.close() }
            do { try handle.write(contentsOf: data) } catch {
                throw SwiftnetError.file(path: requested, message: "cannot write: \(error.localizedDescription)")
            }
            return
        }
        // A symbolic link keeps pointing where it did: the file it names is replaced, not the link.
        let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: requested)) != nil
        let path = isLink ? URL(fileURLWithPath: requested).resolvingSymlinksInPath().path : requested
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SwiftnetError.file(path: path, message: "cannot write: directory \(directory) does not exist")
        }
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw SwiftnetError.file(path: path, message: "cannot create a file in \(directory)")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw SwiftnetError.file(path: path, message: "cannot write: \(error.localizedDescription)")
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw SwiftnetError.file(path: path, message: "cannot write: \(reason)")
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}

/// Creates a directory (and its parents) unless it exists, or fails with a message naming the path and the reason.
public func ensureDirectory(_ path: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else { throw SwiftnetError.file(path: path, message: "exists and is not a directory") }
        return
    }
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        // Name the usual culprit: a parent that is a file.
        var parent = URL(fileURLWithPath: path).deletingLastPathComponent()
        while parent.path != "/" && !FileManager.default.fileExists(atPath: parent.path) { parent = parent.deletingLastPathComponent() }
        if FileManager.default.fileExists(atPath: parent.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw SwiftnetError.file(path: path, message: "cannot create the directory: \(parent.path) is a file")
        }
        throw SwiftnetError.file(path: path, message: "cannot create the directory: \(error.localizedDescription)")
    }
}
