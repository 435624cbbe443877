import XCTest
@testable import SwiftnetEval

/// Small generated cases committed under `Fixtures/` (see `scripts/make_eval_fixture.py`):
/// crowd annotations with a globally shuffled results file, images with more than 100 detections
/// of one class (COCO's per-image cap), and heavy score ties.
final class FixtureTests: XCTestCase {
    func testEveryFixture() throws {
        for dir in try TestSupport.fixtureCases() {
            try CaseChecks(dir).checkAll()
        }
    }

    func testCrowdFixtureHasCrowdAndOverflowFixtureExceedsTheCap() throws {
        let cases = try TestSupport.fixtureCases()
        guard let crowdCase = cases.first(where: { $0.lastPathComponent.contains("crowd") }),
              let overflowCase = cases.first(where: { $0.lastPathComponent.contains("overflow") }) else {
            return XCTFail("fixtures missing")
        }
        let crowd = try CaseChecks(crowdCase).cocoGroundTruth()
        XCTAssertGreaterThan(crowd.objects.joined().filter(\.isCrowd).count, 0)

        let overflow = try CaseChecks(overflowCase)
        let gt = try overflow.cocoGroundTruth()
        let dets = try overflow.detections(gt)
        var maxPerImageClass = 0
        for list in dets.perImage {
            var counts: [Int: Int] = [:]
            for d in list { counts[d.classIndex, default: 0] += 1 }
            maxPerImageClass = max(maxPerImageClass, counts.values.max() ?? 0)
        }
        XCTAssertGreaterThan(maxPerImageClass, 100)
    }
}
