// The README's Kotlin example, as a new user would write it with only the README in hand.
// scripts/test-kotlin.sh compiles it against build/jvm/videokit.jar and runs it against
// `videokit serve`: it must print state ACTIVE and a token, and exit 0.
import io.videokit.core.VKConfiguration
import io.videokit.core.VKSession
import io.videokit.core.VKSessionState
import java.util.concurrent.CountDownLatch
import kotlin.system.exitProcess

fun main(args: Array<String>) {
    val gateway = args.firstOrNull() ?: "http://127.0.0.1:8080" // from `videokit serve`
    VKSession.current.configure(VKConfiguration(gatewayUrl = gateway))

    val done = CountDownLatch(1)
    var ok = false
    VKSession.current.start(apiToken = "vk_dev_app_token", identity = "alice") { state, data, error ->
        println("state: $state")
        if (data != null) println("signed in as ${data.identity}; token ${data.token.take(12)}... expires ${data.expiresAt}")
        if (error != null) println("error: ${error.kind.wireName}: ${error.detail}")
        ok = state == VKSessionState.ACTIVE && data != null && data.token.isNotEmpty()
        done.countDown()
    }
    done.await()
    VKSession.current.stop()
    exitProcess(if (ok) 0 else 1)
}
