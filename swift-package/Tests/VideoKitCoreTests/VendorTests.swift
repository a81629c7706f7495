import Foundation
import XCTest

@testable import VideoKitCore

/// Kaltura (appToken flow) and VideoSDK (token server) sessions against the devserver.
final class VendorTests: SessionTestCase {

    private var kaltura: VKKalturaConfiguration {
        VKKalturaConfiguration(
            partnerId: 1_851_571, appTokenId: "0_xeu31jy5", appToken: "c9883312395bf5ed4fd5c9a5d86c985c",
            serviceURL: URL(string: server.base)!, userId: "k-user")
    }

    func testKalturaColdStartTwoRequestsRenewalOne() throws {
        let cfg = kaltura
        let d = try runBlocking { try await self.session.start(kaltura: cfg) }
        XCTAssertEqual(d.source, .kaltura)
        XCTAssertEqual(d.kaltura?.partnerId, 1_851_571)
        XCTAssertEqual(d.kaltura?.userId, "k-user")
        XCTAssertEqual(try server.count("kaltura.startWidgetSession"), 1)
        XCTAssertEqual(try server.count("kaltura.appToken.startSession"), 1)
        _ = try runBlocking { try await self.session.refresh() }
        XCTAssertEqual(try server.count("kaltura.startWidgetSession"), 1, "the widget KS is cached")
        XCTAssertEqual(try server.count("kaltura.appToken.startSession"), 2)
        XCTAssertFalse(cfg.description.contains(cfg.appToken), "description hides the app token")
        var dumped = ""
        dump(cfg, to: &dumped)
        XCTAssertFalse(dumped.contains(cfg.appToken), "dump() hides the app token")
    }

    /// From the outside test: a session configuration printed its gateway URL's
    /// `user:password@` (Kotlin's data-class `toString`; Swift's reflection alike).
    func testAConfigurationPrintsItsGatewayURLWithoutCredentialsQueryOrFragment() {
        let cfg = VKConfiguration(gatewayURL: "https://app:pa55word@gw.example.com/base?key=s3cret#frag", name: "kaltura")
        XCTAssertTrue(cfg.description.hasPrefix("VKConfiguration(gatewayURL: https://***@gw.example.com/base?***, "), cfg.description)
        XCTAssertTrue(cfg.description.hasSuffix(", name: Optional(\"kaltura\"))"), cfg.description)
        var dumped = ""
        dump(cfg, to: &dumped)
        for text in [cfg.description, cfg.debugDescription, "\(cfg)", dumped] {
            for secret in ["pa55word", "s3cret", "frag"] { XCTAssertFalse(text.contains(secret), text) }
        }
        XCTAssertEqual(redactedURL("http://127.0.0.1:8080"), "http://127.0.0.1:8080")
        XCTAssertEqual(redactedURL("u:p@h#f"), "***@h#***")
    }

    func testKalturaWrongTokenIsRejectedWithItsCode() throws {
        var wrong = kaltura
        wrong.appToken = "0000000000000000deadbeefdeadbeef"
        let probe = CompletionProbe()
        session.start(kaltura: wrong, completion: probe.completion)
        let r = try probe.wait()
        XCTAssertEqual(r.state, .failed)
        XCTAssertEqual(r.error?.kind, .rejected)
        XCTAssertEqual(r.error?.code, "INVALID_APP_TOKEN_HASH")
    }

    func testVideoSdkTokenAndClaims() throws {
        let url = URL(string: server.base + "/get-token")!
        let d = try runBlocking { try await self.session.start(videoSDKTokenURL: url, roomId: "r-1", participantId: "p-1") }
        XCTAssertEqual(d.source, .videoSdk)
        let c = try XCTUnwrap(d.videoSdk)
        XCTAssertEqual(c.roomId, "r-1")
        XCTAssertEqual(c.participantId, "p-1")
        XCTAssertEqual(c.version, 2)
        XCTAssertTrue(c.canJoin)
        XCTAssertTrue(c.canModerate)
        XCTAssertEqual(c.permissions, [.allowJoin, .allowMod])
        XCTAssertEqual(c.roles, [.rtc])
        XCTAssertEqual(c.expiresAt!.timeIntervalSince(c.issuedAt!), 600)
        // Decoded on the device too, without the secret.
        XCTAssertEqual(try VKVideoSdk.decode(token: d.token), c)
        // The completion form.
        let probe = CompletionProbe()
        session.start(videoSDKTokenURL: url, completion: probe.completion)
        XCTAssertNil(try probe.wait().data?.videoSdk?.version, "no room: a version-1 token")
    }

    func testVideoSdkRefusesAlgNoneAndExpiredTokens() {
        XCTAssertThrowsError(try VKVideoSdk.decode(token: "eyJhbGciOiJub25lIn0.eyJhcGlrZXkiOiJrIn0.")) { e in
            XCTAssertEqual((e as? VKError)?.kind, .invalidToken)
            XCTAssertEqual((e as? VKError)?.code, "unsupported_algorithm")
        }
        // {"alg":"HS256","typ":"JWT"} . {"apikey":"k","permissions":["allow_join"],"exp":1}
        let expired = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhcGlrZXkiOiJrIiwicGVybWlzc2lvbnMiOlsiYWxsb3dfam9pbiJdLCJleHAiOjF9.c2ln"
        XCTAssertThrowsError(try VKVideoSdk.decode(token: expired)) { e in
            XCTAssertEqual((e as? VKError)?.kind, .expired)
        }
        XCTAssertNoThrow(try VKVideoSdk.check(token: expired, at: Date(timeIntervalSince1970: 0)))
    }
}
