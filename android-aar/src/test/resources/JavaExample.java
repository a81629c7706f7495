// The Kotlin layer called from Java: scripts/test-kotlin.sh compiles this with javac against
// build/jvm/videokit.jar and runs it against `videokit serve`.
import io.videokit.core.VKConfiguration;
import io.videokit.core.VKErrorKind;
import io.videokit.core.VKException;
import io.videokit.core.VKKalturaConfiguration;
import io.videokit.core.VKSessionData;
import io.videokit.core.VKVideoSdk;
import io.videokit.core.VKVideoSdkClaims;
import io.videokit.core.VKListenerHandle;
import io.videokit.core.VKProvidedToken;
import io.videokit.core.VKBlockingTokenProvider;
import io.videokit.core.VKSession;
import io.videokit.core.VKSessionApi;
import io.videokit.core.VKSessionState;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

public class JavaExample {
    public static void main(String[] args) throws Exception {
        String gateway = args[0];
        VKSession session = VKSession.getCurrent();
        session.configure(VKConfiguration.builder()
            .gatewayUrl(gateway)
            .requestTimeout(Duration.ofSeconds(10))
            .build());

        VKListenerHandle handle = session.addListener(change -> System.out.println("java listener: " + change.getFrom() + " -> " + change.getTo()));

        // Every new token (the first, each renewal, each refresh), e.g. for a player's renewToken.
        CompletableFuture<String> firstToken = new CompletableFuture<>();
        VKListenerHandle tokens = session.addTokenListener(event -> firstToken.complete(event.getToken()));

        CompletableFuture<VKSessionState> started = new CompletableFuture<>();
        session.start("vk_dev_app_token", "alice", List.of("videos.read"), (state, data, error) -> {
            System.out.println("java start: " + state + " " + (data != null ? data.getIdentity() : error));
            started.complete(state);
        });
        check(started.get(20, TimeUnit.SECONDS) == VKSessionState.ACTIVE, "api token start");

        CompletableFuture<String> token = new CompletableFuture<>();
        session.token((t, error) -> token.complete(t));
        check(token.get(20, TimeUnit.SECONDS) != null, "token(callback)");
        check(token.get().equals(session.tokenAsync().get(20, TimeUnit.SECONDS)), "tokenAsync()");

        check(token.get().equals(firstToken.get(20, TimeUnit.SECONDS)), "the token listener got the first token");
        // Refresh as a future and as a callback (a refresh within the same second may give the same token).
        VKSessionData refreshed = session.refreshAsync().get(20, TimeUnit.SECONDS);
        check("alice".equals(refreshed.getIdentity()), "refreshAsync()");
        CompletableFuture<VKSessionData> refreshedAgain = new CompletableFuture<>();
        session.refresh((data, error) -> refreshedAgain.complete(data));
        check(refreshedAgain.get(20, TimeUnit.SECONDS) != null, "refresh(callback)");
        tokens.remove();

        CompletableFuture<VKSessionState> viaUrl = new CompletableFuture<>();
        session.startWithTokenUrl(gateway + "/token/{identity}", "bob", Collections.emptyMap(), (state, data, error) -> viaUrl.complete(state));
        check(viaUrl.get(20, TimeUnit.SECONDS) == VKSessionState.ACTIVE, "token URL start");

        String fixed = token.get();
        CompletableFuture<VKSessionState> viaProvider = new CompletableFuture<>();
        session.start(new VKBlockingTokenProvider() {
            @Override public VKProvidedToken fetchTokenBlocking(String identity) {
                return new VKProvidedToken(fixed);
            }
        }, "alice", (state, data, error) -> viaProvider.complete(state));
        check(viaProvider.get(20, TimeUnit.SECONDS) == VKSessionState.ACTIVE, "blocking provider start");

        // A Java provider refuses with a VKException (checked in Java): the start fails with its kind, not retried.
        CompletableFuture<VKException> refused = new CompletableFuture<>();
        session.start(new VKBlockingTokenProvider() {
            @Override public VKProvidedToken fetchTokenBlocking(String identity) throws VKException {
                throw new VKException(VKErrorKind.UNAUTHORIZED, "signed out on the backend");
            }
        }, "alice", (state, data, error) -> refused.complete(error));
        VKException why = refused.get(20, TimeUnit.SECONDS);
        check(why != null && why.getKind() == VKErrorKind.UNAUTHORIZED, "a provider's VKException stops the start with its kind");

        // Kaltura: the devserver's partner and app token (never an admin secret).
        CompletableFuture<VKSessionData> ks = new CompletableFuture<>();
        session.start(new VKKalturaConfiguration(1851571L, "0_xeu31jy5", "c9883312395bf5ed4fd5c9a5d86c985c", gateway),
            (state, data, error) -> ks.complete(data));
        VKSessionData k = ks.get(20, TimeUnit.SECONDS);
        check(k != null && k.getKaltura() != null && k.getKaltura().getPartnerId() == 1851571L, "Kaltura start");

        // VideoSDK: the Java name of the token-URL variant, and the decoder.
        CompletableFuture<VKSessionData> vsdk = new CompletableFuture<>();
        session.startWithVideoSdkTokenUrl(gateway + "/get-token", "room-1", null, (state, data, error) -> vsdk.complete(data));
        VKSessionData v = vsdk.get(20, TimeUnit.SECONDS);
        check(v != null && v.getVideoSdk() != null && v.getVideoSdk().getCanModerate(), "VideoSDK start");
        VKVideoSdkClaims claims = VKVideoSdk.decode(v.getToken());
        check("room-1".equals(claims.getRoomId()), "VKVideoSdk.decode");
        try {
            VKVideoSdk.decode("eyJhbGciOiJub25lIn0.eyJhcGlrZXkiOiJrIn0.");
            check(false, "alg none refused");
        } catch (VKException e) {
            check("unsupported_algorithm".equals(e.getCode()), "alg none refused with its code");
        }

        CompletableFuture<VKErrorKind> bad = new CompletableFuture<>();
        session.start("vk_dev_app_token", "", List.of(), (state, data, error) -> bad.complete(error.getKind()));
        check(bad.get(20, TimeUnit.SECONDS) == VKErrorKind.INVALID_ARGUMENT, "empty identity");

        // A second, independent session, used through the interface an app can mock.
        VKSession second = new VKSession(VKConfiguration.builder().gatewayUrl(gateway).build());
        CompletableFuture<VKSessionState> secondStarted = new CompletableFuture<>();
        second.start("vk_dev_app_token", "carol", List.of(), (state, data, error) -> secondStarted.complete(state));
        check(secondStarted.get(20, TimeUnit.SECONDS) == VKSessionState.ACTIVE, "a second session");
        VKSessionApi api = second;
        check(api.getState() == VKSessionState.ACTIVE && "carol".equals(api.getSessionData().getIdentity()), "VKSessionApi");
        second.close();

        handle.remove();
        session.stop();
        System.out.println("java example: ok");
        System.exit(0);
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("java example: FAILED: " + what);
            System.exit(1);
        }
    }
}
