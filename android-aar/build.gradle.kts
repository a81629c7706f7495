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

import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// Versions come from settings.gradle.kts when built standalone, or from the app's build when
// this directory is included as a module (`include(":videokit")`), so they never clash.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

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
    cmd += listOf("--platform", "23", "-o", jniLibsDir.absolutePath, "build", "-p", "videokit-ffi", "--profile", rustProfile)
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
        minSdk = 23
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
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

tasks.named("preBuild") { dependsOn(generateUniffiBindings) }

dependencies {
    // JNA as an AAR: it carries libjnidispatch.so for every Android ABI.
    implementation("net.java.dev.jna:jna:5.14.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
    api("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")

    androidTestImplementation("androidx.test:runner:1.6.2")
    androidTestImplementation("androidx.test.ext:junit:1.2.1")
    androidTestImplementation("junit:junit:4.13.2")
    androidTestImplementation("org.jetbrains.kotlinx:kotlinx-coroutines-test:1.9.0")
}
