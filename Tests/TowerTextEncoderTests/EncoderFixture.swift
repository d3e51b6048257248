import Foundation
import TowerConfig
import TowerTestSupport
import TowerTextEncoder
import XCTest

/// The MiniLM weights (TOWER_ENCODER_DIR from the environment or `.local/tower.env`) and the public
/// reference vectors (`../shared/reference/minilm_public.json` beside the package). Tests that need
/// them fail, not skip, when they are missing: CI runs `deploy/local.sh up` first.
enum EncoderFixture {
    /// The weights folder, resolved against the package root when relative.
    static var directory: String {
        get throws {
            let configured = try TowerSettings(TestEnvironment.source()).encoderDirectory
            return configured.hasPrefix("/") ? configured
                : TestEnvironment.packageRoot.appendingPathComponent(configured).path
        }
    }

    private static let shared: Result<MiniLMEncoder, any Error> = Result { try MiniLMEncoder(directory: directory) }

    /// The encoder, loaded once per test process.
    static func encoder() throws -> MiniLMEncoder {
        do {
            return try shared.get()
        } catch {
            XCTFail("MiniLM weights are required for this test: \(error)")
            throw error
        }
    }

    struct Reference: Decodable {
        let id: Int
        let group: String
        let text: String
        let num_tokens: Int
        let token_ids: [Int32]?
        let embedding: [Float]
    }

    private struct ReferenceFile: Decodable { let items: [Reference] }

    /// The public reference items (text, token ids, sentence-transformers embedding).
    static func references() throws -> [Reference] {
        let url = TestEnvironment.sharedDirectory.appendingPathComponent("reference/minilm_public.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            XCTFail("reference vectors missing at \(url.path): shared/ must sit beside the clone")
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(ReferenceFile.self, from: data).items
    }
}
