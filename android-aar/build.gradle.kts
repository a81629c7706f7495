// The VideoKit Android library (AAR): the Rust core built for four ABIs with cargo-ndk, the
// UniFFI Kotlin bindings generated from that very build, and the handwritten Kotlin layer.
//
//   gradle -p android-aar assembleRelease        -> build/outputs/aar/videokit-android-release.aar
//   bash scripts/build-aar.sh                    (checks the prerequisites first)
//
// Prerequisites: Android SDK (compileSdk 35) and NDK (ANDROID_NDK_HOME), Rust with the four
// Android targets (`rustup target add aarch64-linux-android armv7-linux-androideabi
// x86_64-linux-android i686-linux-android`) and cargo-ndk (`cargo install cargo-ndk`).
//
// Gradle properties:
//   -Pvideokit.rustProfile=release-mobile   cargo profile of the shipped library (default)
//   -Pvideokit.abis=arm64-v8a,x86_64         a subset of ABIs (faster local builds)
//   -Pvideokit.repoRoot=/path/to/videokit     the Rust workspace (default: this directory's parent)
//   -Pvideokit.version=1.2.3                 the published version (default: videokitVersion below)
//
// Publishing (maven-publish): `gradle -p android-aar publishReleasePublicationToBuildRepository`
// writes build/repo/io/videokit/videokit-android/<version>/ (AAR, POM, Gradle module metadata,
// sources); `publishToMavenLocal` or a repository of your own work the same way. The POM lists
// the runtime dependencies (JNA @aar, kotlinx-coroutines-android), so an app adds one line.
// scripts/check-android-publication.py checks the dependencies below against the expected POM
// (android-aar/publishing/expected-pom.xml) without Gradle; build-aar.sh checks Gradle's POM.

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// Versions come from settings.gradle.kts when built standalone, or from the app's build when
// this directory is included as a module (`include(":videokit")`), so they never clash.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
    `maven-publish`
}

// One place for what the README, the POM and the checks repeat (check-android-publication.py).
val videokitGroup = "io.videokit"
val videokitArtifact = "videokit-android"
val videokitVersion: String = (findProperty("videokit.version") as String?) ?: "0.1.0"
/**
 * Android 8.0. java.time (Duration in VKConfiguration, Instant in VKSessionData and in UniFFI's
 * timestamp converter) exists from API 26; below it an app would need core-library
 * desugaring. Enforced here by AGP (the AAR's manifest carries it: an app with a lower
 * minSdk fails at manifest merge) and in CI by scripts/check-api-level.py.
 */
val videokitMinSdk = 26
/** 5.17.0 is the first JNA whose libjnidispatch.so is 16 KB-aligned (JNA issues 1618, 1647). */
val jnaVersion = "5.17.0"
val coroutinesVersion = "1.9.0"

val repoRoot: File = (findProperty("videokit.repoRoot") as String?)?.let { file(it) } ?: projectDir.parentFile
val rustProfile: String = (findProperty("videokit.rustProfile") as String?) ?: "release-mobile"
val abis: List<String> = ((findProperty("videokit.abis") as String?) ?: "arm64-v8a,armeabi-v7a,x86_64,x86")
    .split(',').map { it.trim() }.filter { it.isNotEmpty() }
val jniLibsDir: File = file("src/main/jniLibs")
val uniffiOutDir = layout.buildDirectory.dir("generated/source/uniffi/kotlin")

/** Rust for every ABI, linked for 16 KB pages (required for Android 15+ devices). */
val cargoNdkBuild by tasks.registering(Exec::class) {
    group = "videokit"
    description = "Builds libvideokit_ffi.so for $abis with cargo-ndk into src/main/jniLibs."
    workingDir = repoRoot
    inputs.files(fileTree(repoRoot) {
        include("Cargo.toml", "Cargo.lock", "uniffi.toml", "core/**", "bindings/**")
        exclude("**/target/**")
    })
    outputs.dir(jniLibsDir)
    val cmd = mutableListOf("cargo", "ndk")
    abis.forEach { cmd += listOf("-t", it) }
    cmd += listOf("--platform", videokitMinSdk.toString(), "-o", jniLibsDir.absolutePath, "build", "-p", "videokit-ffi", "--profile", rustProfile)
    commandLine(cmd)
    // Applied to the Android targets only (cargo-ndk passes --target, so build scripts and
    // proc-macros on the host are not affected).
    environment("RUSTFLAGS", listOfNotNull(System.getenv("RUSTFLAGS"), "-C link-arg=-Wl,-z,max-page-size=16384").joinToString(" "))
}

/**
 * Kotlin bindings generated from the (unstripped) library cargo-ndk just built, so that the
 * bindings and the shipped library always match. AGP strips the copies it packages.
 */
val generateUniffiBindings by tasks.registering(Exec::class) {
    group = "videokit"
    description = "Generates the UniFFI Kotlin bindings into build/generated/source/uniffi."
    dependsOn(cargoNdkBuild)
    workingDir = repoRoot
    val lib = File(jniLibsDir, "${abis.first()}/libvideokit_ffi.so")
    inputs.file(lib)
    inputs.file(File(repoRoot, "uniffi.toml"))
    outputs.dir(uniffiOutDir)
    doFirst { delete(uniffiOutDir) }
    commandLine(
        "cargo", "run", "--quiet", "-p", "uniffi-bindgen", "--",
        "generate", "--library", lib.absolutePath,
        "--config", File(repoRoot, "uniffi.toml").absolutePath,
        "--language", "kotlin", "--no-format",
        "--out-dir", uniffiOutDir.get().asFile.absolutePath,
    )
}

android {
    namespace = "io.videokit.core"
    compileSdk = 35

    defaultConfig {
        minSdk = videokitMinSdk
        consumerProguardFiles("consumer-rules.pro")
        testInstrumentationRunner = "androidx.test.runner.AndroidJUnitRunner"
        ndk { abiFilters += abis }
    }

    buildTypes {
        release {
            // A library is minified by the app that uses it (with consumer-rules.pro).
            isMinifyEnabled = false
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    sourceSets {
        getByName("main") {
            // Portable Kotlin (also compiled for the desktop JVM by scripts/build-jvm.sh),
            // the Android-only pieces, and the generated bindings.
            java.srcDirs("src/main/kotlin", "src/android/kotlin", uniffiOutDir.get().asFile)
            jniLibs.srcDirs("src/main/jniLibs")
        }
        getByName("androidTest") {
            java.srcDirs("src/androidTest/kotlin")
        }
        getByName("test") {
            // src/test/kotlin runs on the desktop JVM against the host library and the
            // devserver (scripts/test-kotlin.sh), not as Android local unit tests.
            java.setSrcDirs(emptyList<String>())
            resources.setSrcDirs(emptyList<String>())
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    packaging {
        jniLibs {
            // Keep the page-aligned, uncompressed layout the 16 KB linker flags give us.
            useLegacyPackaging = false
        }
    }

    publishing {
        singleVariant("release") {
            withSourcesJar()
        }
    }

    lint {
        // An API above minSdk (java.time below 26, say) fails the build, not the app.
        fatal += "NewApi"
        abortOnError = true
        checkReleaseBuilds = true
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
        // Lambdas and string concatenation as plain bytecode, not invokedynamic: the same
        // classes scripts/build-jvm.sh compiles for the JVM tests and benchmarks, where the
        // first invokedynamic of a fresh JVM costs tens of ms on the caller's thread (D8
        // desugars both on Android anyway).
        freeCompilerArgs.addAll("-Xlambdas=class", "-Xsam-conversions=class", "-Xstring-concat=inline")
    }
}

tasks.named("preBuild") { dependsOn(generateUniffiBindings) }

dependencies {
    // JNA as an AAR: it carries libjnidispatch.so for every Android ABI (16 KB-aligned from 5.17.0).
    implementation("net.java.dev.jna:jna:$jnaVersion@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:$coroutinesVersion")
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:$coroutinesVersion")

    androidTestImplementation("androidx.test:runner:1.6.2")
    androidTestImplementation("androidx.test.ext:junit:1.2.1")
    androidTestImplementation("junit:junit:4.13.2")
    androidTestImplementation("org.jetbrains.kotlinx:kotlinx-coroutines-test:$coroutinesVersion")
}

// ---- the native libraries that reach an app through dependencies (JNA's libjnidispatch.so) ----
// build-aar.sh checks their 16 KB alignment with the AAR's own: same JNA as above, by construction.
val nativeDependencies: Configuration by configurations.creating {
    isCanBeConsumed = false
    isCanBeResolved = true
}
dependencies { nativeDependencies("net.java.dev.jna:jna:$jnaVersion@aar") }
val collectNativeDependencies by tasks.registering(Copy::class) {
    group = "videokit"
    description = "Copies the AARs of dependencies that carry .so files into build/native-deps."
    from(nativeDependencies)
    into(layout.buildDirectory.dir("native-deps"))
}

// ---- the Maven publication: AAR + POM (+ Gradle module metadata and sources) ----
afterEvaluate {
    publishing {
        publications {
            register<MavenPublication>("release") {
                from(components["release"])
                groupId = videokitGroup
                artifactId = videokitArtifact
                version = videokitVersion
                pom {
                    name.set("VideoKit for Android")
                    description.set("Authenticated video sessions (VideoKit, VideoSDK, Kaltura) from a Rust core; Android 8.0 (API $videokitMinSdk) and later.")
                    properties.put("android.minSdk", videokitMinSdk.toString())
                }
            }
        }
        repositories {
            maven {
                name = "build"
                url = uri(layout.buildDirectory.dir("repo"))
            }
        }
    }
}
