import Foundation
import TestSupport
import XCTest

/// `swiftnet partial` with the options every cfg-reading command has (`--width/--height`, `--set`).
final class PartialCommandTests: XCTestCase {
    /// A `[connected]` layer's weight count depends on the input size, so partial must build the network at the
    /// size the weights were trained at.
    static let cfg = """
    [net]
    width=8
    height=8
    channels=3

    [convolutional]
    filters=4
    size=3
    stride=1
    pad=1
    activation=leaky

    [connected]
    output=3
    activation=linear

    [softmax]
    """

    func testInputSizeAndOverridesReachTheNetwork() throws {
        let dir = try SharedData.temporaryDirectory()
        try Self.cfg.write(toFile: dir + "/c.cfg", atomically: true, encoding: .utf8)
        // At 16×16: conv 4 biases + 4·27 weights; connected 3 biases + 3·(16·16·4) weights.
        let floats16 = 4 + 4 * 27 + 3 + 3 * 16 * 16 * 4
        var data = Data([0, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0] + [UInt8](repeating: 0, count: 8))
        data.append(Data(repeating: 0, count: 4 * floats16))
        try data.write(to: URL(fileURLWithPath: dir + "/c16.weights"))

        let atCfgSize = try CLI.run(["partial", dir + "/c.cfg", dir + "/c16.weights", dir + "/out.weights", "2"])
        XCTAssertEqual(atCfgSize.status, 65, atCfgSize.stdout)
        XCTAssertFalse(atCfgSize.crashed)
        XCTAssertTrue(atCfgSize.stderr.contains("c16.weights"), atCfgSize.stderr)

        for args in [["--width", "16", "--height", "16"], ["--width", "16"], ["--set", "net.width=16", "--set", "net.height=16"]] {
            let r = try CLI.run(["partial", dir + "/c.cfg", dir + "/c16.weights", dir + "/out.weights", "2"] + args)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: dir + "/out.weights")[.size] as? Int, 20 + 4 * floats16)
            try FileManager.default.removeItem(atPath: dir + "/out.weights")
        }
        // The cfg as --cfg: then WEIGHTS OUT N are the arguments.
        let one = try CLI.run(["partial", "--cfg", dir + "/c.cfg", dir + "/c16.weights", dir + "/out.weights", "1", "--width", "16", "--height", "16"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: dir + "/out.weights")[.size] as? Int, 20 + 4 * (4 + 4 * 27))
    }
}
