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

final class NMSKindTests: XCTestCase {
    /// Two boxes 0.1 apart: IoU 1/3; enclosing diagonal² 0.13, centre distance² 0.01, so
    /// DIoU_β = 1/3 − (1/13)^β: 0.1187 (β 0.6), 0.2564 (β 1), 0.3274 (β 2).
    func survivors(_ kind: NMSKind, threshold: Float, beta: Float) -> Int {
        var d = [Detection(box: Box(x: 0.5, y: 0.5, w: 0.2, h: 0.2), objectness: 1, probabilities: [0.9]),
                 Detection(box: Box(x: 0.6, y: 0.5, w: 0.2, h: 0.2), objectness: 1, probabilities: [0.8])]
        NMS.apply(&d, classes: 1, threshold: threshold, kind: kind, beta: beta)
        return d.filter { $0.probabilities[0] > 0 }.count
    }

    func testDIoUValues() {
        let a = Box(x: 0.5, y: 0.5, w: 0.2, h: 0.2), b = Box(x: 0.6, y: 0.5, w: 0.2, h: 0.2)
        XCTAssertEqual(a.iou(b), 1 / 3, accuracy: 1e-6)
        XCTAssertEqual(a.diou(b, beta: 0.6), 0.118731, accuracy: 1e-5)
        XCTAssertEqual(a.diou(b, beta: 1), 0.256410, accuracy: 1e-5)
        XCTAssertEqual(a.diou(b, beta: 2), 0.327416, accuracy: 1e-5)
    }

    func testEachKindUsesItsOverlap() {
        // threshold 0.2: plain IoU suppresses, greedynms (DIoU with β fixed at 0.6, whatever beta_nms says) keeps.
        XCTAssertEqual(survivors(.default, threshold: 0.2, beta: 0.6), 1)
        XCTAssertEqual(survivors(.greedynms, threshold: 0.2, beta: 0.6), 2)
        XCTAssertEqual(survivors(.greedynms, threshold: 0.2, beta: 2), 2)
        // diounms follows beta_nms.
        XCTAssertEqual(survivors(.diounms, threshold: 0.2, beta: 0.6), 2)
        XCTAssertEqual(survivors(.diounms, threshold: 0.2, beta: 1), 1)
        XCTAssertEqual(survivors(.diounms, threshold: 0.3, beta: 1), 2)
        XCTAssertEqual(survivors(.diounms, threshold: 0.3, beta: 2), 1)
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
