//! The routes that count requests and take faults, as a type: one variant per endpoint and
//! its public name (`token`, `kaltura.startWidgetSession`, ...). A leaf: imports nothing.

/// An endpoint that is counted and can be faulted (the control routes are neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Route {
    /// `POST /v1/sessions`, the VideoKit gateway.
    Sessions,
    /// `GET /token/{identity}`, the app backend.
    Token,
    /// Kaltura `session.startWidgetSession`.
    KalturaStartWidgetSession,
    /// Kaltura `appToken.startSession`.
    KalturaAppTokenStartSession,
    /// `GET|POST /get-token`, the VideoSDK token server.
    VideoSdkGetToken,
    /// `POST /v2/rooms`.
    VideoSdkCreateRoom,
    /// `GET /v2/rooms/validate/{roomId}`.
    VideoSdkValidateRoom,
}

impl Route {
    /// Every route, in the order of the README.
    pub(crate) const ALL: [Route; 7] = [
        Route::Sessions,
        Route::Token,
        Route::KalturaStartWidgetSession,
        Route::KalturaAppTokenStartSession,
        Route::VideoSdkGetToken,
        Route::VideoSdkCreateRoom,
        Route::VideoSdkValidateRoom,
    ];

    /// The names of [`Route::ALL`], in the same order (what [`crate::ROUTES`] publishes).
    pub(crate) const NAMES: [&'static str; 7] = {
        let mut names = [""; 7];
        let mut i = 0;
        while i < Route::ALL.len() {
            names[i] = Route::ALL[i].name();
            i += 1;
        }
        names
    };

    /// The name used in request counts, faults and the control API.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Route::Sessions => "sessions",
            Route::Token => "token",
            Route::KalturaStartWidgetSession => "kaltura.startWidgetSession",
            Route::KalturaAppTokenStartSession => "kaltura.appToken.startSession",
            Route::VideoSdkGetToken => "videosdk.getToken",
            Route::VideoSdkCreateRoom => "videosdk.createRoom",
            Route::VideoSdkValidateRoom => "videosdk.validateRoom",
        }
    }

    /// The route with this name, if there is one (names are case-sensitive).
    pub(crate) fn from_name(name: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(
            Route::NAMES,
            [
                "sessions",
                "token",
                "kaltura.startWidgetSession",
                "kaltura.appToken.startSession",
                "videosdk.getToken",
                "videosdk.createRoom",
                "videosdk.validateRoom"
            ]
        );
        for r in Route::ALL {
            assert_eq!(Route::from_name(r.name()), Some(r));
        }
        assert_eq!(Route::from_name("Token"), None);
        assert_eq!(Route::from_name("*"), None);
    }
}
