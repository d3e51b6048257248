import Foundation
import TowerMath
@testable import TowerModel
import XCTest

final class SafeTensorsTests: XCTestCase {
    private func temporaryPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir.appendingPathComponent("t.safetensors").path
    }

    /// Builds a file by hand: header JSON then raw little-endian bytes.
    private func handMade(header: String, payload: [UInt8]) -> Data {
        var d = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: Array(header.utf8))
        d.append(contentsOf: payload)
        return d
    }

    func testRoundTripKeepsValuesShapesAndMetadata() throws {
        let path = temporaryPath()
        let m = Matrix(rows: 2, cols: 3, data: [1, -2.5, 3, .pi, -0, 1e-30])
        try SafeTensorsWriter.write([SafeTensor(name: "layer.w", matrix: m),
                                     SafeTensor(name: "layer.b", shape: [3], values: [0.5, 0.25, -8]),
                                     SafeTensor(name: "scalar", shape: [], values: [42])],
                                    metadata: ["version": "7", "note": "quote \" and é"], to: path)
        let file = try SafeTensorsFile(path: path)
        XCTAssertEqual(file.names, ["layer.b", "layer.w", "scalar"])
        XCTAssertEqual(file.metadata, ["version": "7", "note": "quote \" and é"])
        XCTAssertEqual(try file.matrix("layer.w", rows: 2, cols: 3), m)
        XCTAssertEqual(try file.floats("layer.b", shape: [3]), [0.5, 0.25, -8])
        XCTAssertEqual(try file.floats("scalar", shape: []), [42])
        XCTAssertEqual(file.tensors["layer.w"]?.dtype, "F32")
        // The data section starts 8-byte aligned.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(headerLength % 8, 0)
    }

    func testOverwriteReplacesTheFileAtomically() throws {
        let path = temporaryPath()
        try SafeTensorsWriter.write([SafeTensor(name: "a", shape: [1], values: [1])], to: path)
        try SafeTensorsWriter.write([SafeTensor(name: "a", shape: [2], values: [2, 3])], to: path)
        XCTAssertEqual(try SafeTensorsFile(path: path).floats("a"), [2, 3])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        XCTAssertEqual(leftovers, ["t.safetensors"])
    }

    func testReadsHalfAndBFloat16() throws {
        // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 0x0001 = 2^-24.
        // BF16: 1.0 = 0x3F80, -0.5 = 0xBF00.
        let header = #"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}}"#
        let payload: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00, 0x80, 0x3F, 0x00, 0xBF]
        let file = try SafeTensorsFile(data: handMade(header: header, payload: payload), path: "mem")
        XCTAssertEqual(try file.floats("h"), [1, -2, 65504, 0x1p-24])
        XCTAssertEqual(try file.floats("b"), [1, -0.5])
    }

    func testErrorsNameTheProblem() throws {
        let path = temporaryPath()
        try SafeTensorsWriter.write([SafeTensor(name: "w", shape: [2, 2], values: [1, 2, 3, 4])], to: path)
        let file = try SafeTensorsFile(path: path)
        XCTAssertThrowsError(try file.floats("missing")) {
            XCTAssertEqual($0 as? SafeTensorsError, .missingTensor(path: path, name: "missing"))
            XCTAssertTrue("\($0)".contains("missing"))
        }
        XCTAssertThrowsError(try file.matrix("w", rows: 4, cols: 1)) {
            XCTAssertEqual($0 as? SafeTensorsError, .shapeMismatch(path: path, name: "w", expected: [4, 1], found: [2, 2]))
        }
        XCTAssertThrowsError(try SafeTensorsFile(path: path + ".absent")) {
            guard case .unreadable = $0 as? SafeTensorsError else { return XCTFail("\($0)") }
        }
        let ints = handMade(header: #"{"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, payload: [UInt8](repeating: 0, count: 8))
        XCTAssertThrowsError(try SafeTensorsFile(data: ints, path: "mem").floats("i")) {
            XCTAssertEqual($0 as? SafeTensorsError, .unsupportedDType(path: "mem", name: "i", dtype: "I64"))
        }
    }

    func testRejectsTruncatedAndInconsistentFiles() throws {
        let good = try SafeTensorsWriter.encode([SafeTensor(name: "w", shape: [3], values: [1, 2, 3])])
        for bad in [good.prefix(5), good.prefix(good.count - 4),
                    handMade(header: "[1,2]", payload: []),
                    handMade(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, payload: [UInt8](repeating: 0, count: 8))] {
            XCTAssertThrowsError(try SafeTensorsFile(data: Data(bad), path: "mem")) {
                guard case .malformed = $0 as? SafeTensorsError else { return XCTFail("\($0)") }
            }
        }
    }

    func testCorruptHeadersAreErrorsNotTrapsOrHugeAllocations() throws {
        for header in [#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}}"#,
                       #"{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}"#,
                       #"{"w":{"dtype":"I4","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}}"#] {
            XCTAssertThrowsError(try SafeTensorsFile(data: handMade(header: header, payload: []), path: "mem"), header) {
                guard case .malformed(_, let reason) = $0 as? SafeTensorsError, reason.contains("does not fit") else { return XCTFail("\($0)") }
            }
        }
        // A sparse 120 MB file whose first 8 bytes claim a 110 MB header: refused before anything is read.
        let path = temporaryPath()
        var length = UInt64(110_000_000).littleEndian
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes: &length, count: 8)))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 120_000_000)
        try handle.close()
        XCTAssertThrowsError(try SafeTensorsFile(path: path)) {
            guard case .malformed(_, let reason) = $0 as? SafeTensorsError, reason.contains("limit") else { return XCTFail("\($0)") }
        }
    }

    func testWriterRejectsInconsistentTensors() {
        XCTAssertThrowsError(try SafeTensorsWriter.encode([SafeTensor(name: "w", shape: [2, 2], values: [1])]))
        XCTAssertThrowsError(try SafeTensorsWriter.encode([SafeTensor(name: "w", shape: [1], values: [1]),
                                                           SafeTensor(name: "w", shape: [1], values: [2])]))
    }
}
