import Foundation
import VideoKitFFI

// The `try await` starts of ``VKSession``: the same starts as the completion-handler ones, awaited.
// Cancelling the awaiting task ends the wait with ``VKErrorKind/cancelled`` and stops the start
// if it is still ``VKSessionState/starting``.
extension VKSession {
    // MARK: Starting (async/await)

    /// `try await` variant of ``start(apiToken:identity:scopes:completion:)``.
    ///
    /// - Returns: the new session.
    /// - Throws: ``VKError``, why it could not start (``VKErrorKind/cancelled`` when the task was cancelled).
    @discardableResult
    public func start(apiToken: String, identity: String, scopes: [String] = []) async throws -> VKSessionData {
        try await run { $0.startApiToken(appToken: apiToken, identity: identity, scopes: scopes) }
    }

    /// `try await` variant of ``start(sessionToken:completion:)``.
    ///
    /// - Returns: the new session.
    /// - Throws: ``VKError``, why it could not start.
    @discardableResult
    public func start(sessionToken: String) async throws -> VKSessionData {
        try await run { $0.startSessionToken(sessionToken: sessionToken) }
    }

    /// `try await` variant of ``start(tokenURL:identity:headers:completion:)``.
    ///
    /// - Returns: the new session.
    /// - Throws: ``VKError``, why it could not start.
    @discardableResult
    public func start(tokenURL: URL, identity: String, headers: [String: String] = [:]) async throws -> VKSessionData {
        let template = Self.template(tokenURL)
        return try await run { $0.startTokenUrl(urlTemplate: template, identity: identity, headers: headers) }
    }

    /// `try await` variant of ``start(provider:identity:completion:)``.
    ///
    /// - Returns: the new session.
    /// - Throws: ``VKError``, why it could not start.
    @discardableResult
    public func start(provider: VKTokenProvider, identity: String? = nil) async throws -> VKSessionData {
        let adapter = ProviderAdapter(provider)
        return try await run { $0.startProvider(provider: adapter, identity: identity) }
    }

    /// `try await` variant of ``start(kaltura:completion:)``.
    ///
    /// - Returns: the new session (the KS is its `token`).
    /// - Throws: ``VKError``; Kaltura's code (e.g. `INVALID_APP_TOKEN_HASH`) is in `code`.
    @discardableResult
    public func start(kaltura: VKKalturaConfiguration) async throws -> VKSessionData {
        let cfg = kaltura.ffi
        return try await run { $0.startKaltura(config: cfg) }
    }

    /// `try await` variant of ``start(videoSDKTokenURL:roomId:participantId:completion:)``.
    ///
    /// - Returns: the new session (claims in `videoSdk`).
    /// - Throws: ``VKError``, why it could not start.
    @discardableResult
    public func start(videoSDKTokenURL: URL, roomId: String? = nil, participantId: String? = nil) async throws -> VKSessionData {
        let url = videoSDKTokenURL.absoluteString
        return try await run { $0.startVideosdk(tokenServerUrl: url, roomId: roomId, participantId: participantId) }
    }
}
