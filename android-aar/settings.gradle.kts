// Standalone build of the VideoKit Android library: `gradle -p android-aar assembleRelease`
// (or scripts/build-aar.sh). An app can also include this directory as a module.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "videokit-android"
