import XCTest
@testable import TowerRuntime

final class RedactionTests: XCTestCase {
    func testURLPasswordsAreMasked() {
        XCTAssertEqual(Redaction.url("postgresql://tower:s3cret@127.0.0.1:55432/tower"), "postgresql://tower:***@127.0.0.1:55432/tower")
        XCTAssertEqual(Redaction.url("postgres://u:p@ss/w@rd@db.example.com/x?sslmode=require"), "postgres://u:***@db.example.com/x?sslmode=require")
        XCTAssertEqual(Redaction.url("postgresql://tower@127.0.0.1/tower"), "postgresql://tower@127.0.0.1/tower", "no password, nothing to mask")
        XCTAssertEqual(Redaction.url("http://127.0.0.1:45660/000000000000/tower-events"), "http://127.0.0.1:45660/000000000000/tower-events")
        XCTAssertEqual(Redaction.scrub("connect to postgresql://a:b@h/db failed; retry postgresql://c:d@h2/db"),
                       "connect to postgresql://a:***@h/db failed; retry postgresql://c:***@h2/db")
    }

    func testSecretPairsAndKeysAreMasked() {
        XCTAssertEqual(Redaction.scrub("host=db user=tower password=hunter2 dbname=tower"), "host=db user=tower password=*** dbname=tower")
        XCTAssertEqual(Redaction.scrub("password='two words' sslmode=require"), "password='***' sslmode=require")
        XCTAssertEqual(Redaction.scrub("GET /?X-Amz-Security-Token=abc&Action=x"), "GET /?X-Amz-Security-Token=***&Action=x")
        XCTAssertEqual(Redaction.scrub("AWS_SECRET_ACCESS_KEY=abc123"), "AWS_SECRET_ACCESS_KEY=***")
        XCTAssertEqual(Redaction.scrub("batch applied=10 rejected=0"), "batch applied=10 rejected=0")
        XCTAssertTrue(Redaction.isSecretKey("db_password"))
        XCTAssertTrue(Redaction.isSecretKey("AWS_SESSION_TOKEN"))
        XCTAssertFalse(Redaction.isSecretKey("customer_id"))
        XCTAssertTrue(Redaction.isSecretKey("X-Api_Key"), "any case, anywhere in the key")
        XCTAssertTrue(Redaction.isSecretKey("Authorization"))
        XCTAssertTrue(Redaction.isSecretKey("pwd"), "the whole key")
        XCTAssertFalse(Redaction.isSecretKey("pw"), "shorter than every word")
        XCTAssertFalse(Redaction.isSecretKey(""))
        XCTAssertTrue(Redaction.isSecretKey("clé_SECRET"), "a key beyond ASCII is lowercased as Unicode")
        XCTAssertTrue(Redaction.isSecretKey("api_\u{212A}ey"), "KELVIN SIGN lowercases to an ASCII k")
        XCTAssertFalse(Redaction.isSecretKey("température"))
    }
}
