import XCTest
@testable import SwiftnetEval

/// The oracle cases in `shared/oracle/map`: pycocotools and darknet numbers.
final class OracleTests: XCTestCase {
    func testEveryOracleCase() throws {
        for dir in try TestSupport.oracleCases() {
            try CaseChecks(dir).checkAll()
        }
    }
}
