import Foundation
import XCTest
@testable import TowerWorker

final class HandOffTests: XCTestCase {
    func testPassesValuesInOrderOneAtATimeAndDrainsAfterClose() {
        let handOff = HandOff<Int>()
        let producer = Thread {
            for i in 0..<100 { handOff.put(i) }
            handOff.close()
        }
        producer.start()
        var taken: [Int] = []
        while let value = handOff.take() { taken.append(value) }
        XCTAssertEqual(taken, Array(0..<100))
        XCTAssertNil(handOff.take(), "a closed, empty hand-off stays empty")
    }

    func testPutWaitsUntilTheSlotIsTaken() {
        let handOff = HandOff<Int>()
        handOff.put(1)
        let second = DispatchSemaphore(value: 0)
        Thread { handOff.put(2); second.signal() }.start()
        XCTAssertEqual(second.wait(timeout: .now() + 0.2), .timedOut, "the slot is full")
        XCTAssertEqual(handOff.take(), 1)
        XCTAssertEqual(second.wait(timeout: .now() + 5), .success)
        handOff.close()
        XCTAssertEqual(handOff.take(), 2, "close keeps the waiting value")
        XCTAssertNil(handOff.take())
    }
}
