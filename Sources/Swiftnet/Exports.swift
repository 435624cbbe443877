@_exported import struct SwiftnetFormat.Diagnostic
@_exported import enum SwiftnetFormat.SwiftnetError
