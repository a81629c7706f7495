// Standalone build of the VideoKit Android library: `gradle -p android-aar assembleRelease`
// (or scripts/build-aar.sh). An app can instead include this directory as a module:
//   settings.gradle.kts:  include(":videokit"); project(":videokit").projectDir = file("../videokit/android-aar")
//   app/build.gradle.kts: implementation(project(":videokit"))
// (then pass -Pvideokit.repoRoot=... if the Rust workspace is not this directory's parent).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
    plugins {
        // AGP 8.7 needs Gradle 8.9+ and supports compileSdk 35.
        id("com.android.library") version "8.7.3"
        id("org.jetbrains.kotlin.android") version "2.1.20"
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
