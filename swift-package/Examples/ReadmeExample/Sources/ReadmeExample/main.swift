// The README's Swift example, as a new user would write it with only the README in hand:
// the AppDelegate's call (API-token mode), then the production flow (the app's backend URL).
// Run against `videokit serve`: prints the states, exits 0 only when both sessions are active
// and every completion ran on the main thread.
import Foundation
import VideoKitCore

func finish(_ ok: Bool, _ message: String) -> Never {
    print(message)
    VKSession.current.stop()
    exit(ok ? 0 : 1)
}

func signIn(gateway: String) {
    VKSession.current.configure(VKConfiguration(gatewayURL: gateway, allowInsecureHTTP: true))

    // What an AppDelegate does in application(_:didFinishLaunchingWithOptions:).
    VKSession.current.start(apiToken: "vk_dev_app_token", identity: "alice") { sessionState, sessionData, error in
        print("api token: \(sessionState), main thread: \(Thread.isMainThread)")
        guard sessionState == .active, let data = sessionData, Thread.isMainThread else {
            finish(false, "error: \(error?.kind.rawValue ?? "-"): \(error?.detail ?? "")")
        }
        print("signed in as \(data.identity ?? "?"); token \(data.token.prefix(12))...")

        // Production: the app's backend issues the session token.
        let tokenURL = URL(string: gateway + "/token/%7Bidentity%7D")!
        VKSession.current.start(tokenURL: tokenURL, identity: "bob") { sessionState, sessionData, error in
            print("token URL: \(sessionState), main thread: \(Thread.isMainThread)")
            guard sessionState == .active, let data = sessionData, Thread.isMainThread else {
                finish(false, "error: \(error?.kind.rawValue ?? "-"): \(error?.detail ?? "")")
            }
            finish(true, "signed in as \(data.identity ?? "?") through the backend URL")
        }
    }
}

signIn(gateway: CommandLine.arguments.dropFirst().first ?? "http://127.0.0.1:8080")  // from `videokit serve`
RunLoop.main.run()  // an app's main loop: UIApplicationMain runs it on iOS
