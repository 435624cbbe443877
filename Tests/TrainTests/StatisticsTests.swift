import Foundation
import SwiftnetTrain
import XCTest

/// Welch's t-test and the incomplete beta function behind it, against values scipy 1.17.1 computed
/// (`scipy.stats.ttest_ind(a, b, equal_var=False)`, `scipy.special.betainc`).
final class StatisticsTests: XCTestCase {
    func testMeanAndSampleStandardDeviation() {
        XCTAssertEqual(Statistics.mean([1, 2, 3, 4]), 2.5)
        // Σ(x − 2.5)² = 5, over n − 1 = 3.
        XCTAssertEqual(Statistics.standardDeviation([1, 2, 3, 4]), (5.0 / 3).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(Statistics.standardDeviation([7]), 0)
    }

    func testWelchMatchesScipy() throws {
        let first = try XCTUnwrap(Statistics.welch([0.91, 0.93, 0.95], [0.88, 0.90, 0.86, 0.89]))
        XCTAssertEqual(first.t, 3.3074754631582612, accuracy: 1e-12)
        XCTAssertEqual(first.df, 3.9900936355000765, accuracy: 1e-12)
        XCTAssertEqual(first.p, 0.029834761224843152, accuracy: 1e-12)
        let second = try XCTUnwrap(Statistics.welch([0.5, 0.62, 0.41, 0.55, 0.47], [0.52, 0.60, 0.58]))
        XCTAssertEqual(second.t, -1.3182652278901796, accuracy: 1e-12)
        XCTAssertEqual(second.df, 5.9885137304175, accuracy: 1e-10)
        XCTAssertEqual(second.p, 0.23559019348662816, accuracy: 1e-12)
        // Undefined: one value on a side, or no variance at all.
        XCTAssertNil(Statistics.welch([1], [1, 2]))
        XCTAssertNil(Statistics.welch([1, 1], [2, 2]))
    }

    func testIncompleteBetaMatchesScipy() {
        let cases: [(x: Double, a: Double, b: Double, value: Double)] = [
            (0.3, 2.5, 0.5, 0.018927124071945658), (0.9, 1.5, 0.5, 0.6041813035905921),
            (0.05, 10, 0.5, 1.761178743259099e-14), (0.7, 3, 4, 0.92953),
        ]
        for c in cases {
            let v = Statistics.regularizedIncompleteBeta(x: c.x, a: c.a, b: c.b)
            XCTAssertEqual(v, c.value, accuracy: c.value * 1e-10, "I_\(c.x)(\(c.a), \(c.b))")
        }
    }
}
