import SwiftnetCore
import SwiftnetDetect
import SwiftnetFormat
import SwiftnetLayers
import XCTest

final class NMSTests: XCTestCase {
    func det(_ x: Float, _ y: Float, _ w: Float, _ h: Float, _ p: [Float], objectness: Float = 1) -> Detection {
        Detection(box: Box(x: x, y: y, w: w, h: h), objectness: objectness, probabilities: p)
    }

    func testOverlappingLowerScoreIsSuppressedPerClass() {
        var d = [
            det(0.5, 0.5, 0.2, 0.2, [0.6, 0.0]),
            det(0.51, 0.5, 0.2, 0.2, [0.9, 0.7]),
            det(0.9, 0.9, 0.1, 0.1, [0.5, 0.0]),
        ]
        NMS.apply(&d, classes: 2, threshold: 0.45)
        // Class 0: 0.9 suppresses 0.6 (IoU 0.905); the far box survives. Class 1 only has one box.
        let byScore = d.map { $0.probabilities }
        XCTAssertEqual(byScore.filter { $0[0] > 0 }.map { $0[0] }.sorted(), [0.5, 0.9])
        XCTAssertEqual(byScore.filter { $0[1] > 0 }.map { $0[1] }, [0.7])
    }
}

final class NMSChainTests: XCTestCase {
    /// A box suppressed by the best one must not stop a later suppressor (regression: zeros in the middle).
    func testSuppressionContinuesPastSuppressedBoxes() {
        func det(_ x: Float, _ w: Float, _ p: Float) -> Detection {
            Detection(box: Box(x: x, y: 0.5, w: w, h: 0.2), objectness: 1, probabilities: [p])
        }
        var d = [det(0.30, 0.30, 0.9), det(0.62, 0.10, 0.8), det(0.32, 0.30, 0.7), det(0.625, 0.1, 0.6), det(0.9, 0.1, 0.5)]
        NMS.apply(&d, classes: 1, threshold: 0.45)
        XCTAssertEqual(d.map { $0.probabilities[0] }.filter { $0 > 0 }.sorted(), [0.5, 0.8, 0.9])
    }
}
