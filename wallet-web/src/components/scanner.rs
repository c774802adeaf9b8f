//! Scanning a QR code with the camera: the browser's `BarcodeDetector` (reached through `js_sys::Reflect`, as
//! web-sys does not bind it) reads frames of a `getUserMedia` video. Browsers without either get no scan button;
//! pasting always works.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::browser::sleep_ms;

fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(target, &JsValue::from_str(key)).ok().filter(|value| !value.is_undefined() && !value.is_null())
}

/// Whether this browser can scan QR codes: it has `BarcodeDetector` and a camera API.
pub fn scanner_supported() -> bool {
    let Some(window) = web_sys::window() else { return false };
    get(&window, "BarcodeDetector").is_some() && get(&window.navigator(), "mediaDevices").is_some()
}

/// A `new BarcodeDetector({formats: ["qr_code"]})`.
fn new_detector() -> Result<JsValue, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let constructor: js_sys::Function =
        get(&window, "BarcodeDetector").ok_or_else(|| JsValue::from_str("no BarcodeDetector"))?.dyn_into()?;
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &JsValue::from_str("formats"), &js_sys::Array::of1(&JsValue::from_str("qr_code")))?;
    js_sys::Reflect::construct(&constructor, &js_sys::Array::of1(&options))
}

/// The first QR code's text in the current video frame, if any.
async fn detect(detector: &JsValue, video: &web_sys::HtmlVideoElement) -> Result<Option<String>, JsValue> {
    let detect: js_sys::Function =
        get(detector, "detect").ok_or_else(|| JsValue::from_str("no detect method"))?.dyn_into()?;
    let promise: js_sys::Promise = detect.call1(detector, video)?.dyn_into()?;
    let found: js_sys::Array = JsFuture::from(promise).await?.dyn_into()?;
    Ok(found.iter().find_map(|code| get(&code, "rawValue")).and_then(|value| value.as_string()))
}

/// Opens the back camera into `video`.
async fn start_camera(video: &web_sys::HtmlVideoElement) -> Result<web_sys::MediaStream, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let devices = window.navigator().media_devices()?;
    let constraints = web_sys::MediaStreamConstraints::new();
    let video_constraints = js_sys::Object::new();
    js_sys::Reflect::set(&video_constraints, &JsValue::from_str("facingMode"), &JsValue::from_str("environment"))?;
    constraints.set_video(&video_constraints);
    constraints.set_audio(&JsValue::FALSE);
    let stream: web_sys::MediaStream =
        JsFuture::from(devices.get_user_media_with_constraints(&constraints)?).await?.dyn_into()?;
    video.set_src_object(Some(&stream));
    let _ = video.play().map(JsFuture::from);
    Ok(stream)
}

fn stop_camera(stream: &web_sys::MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// "Scan a QR code" button and the camera view it opens. Writes what it read into `target`. Renders nothing
/// when the browser cannot scan.
#[component]
pub fn ScanButton(
    /// Receives the scanned text.
    target: RwSignal<String>,
    /// What the button says, e.g. "Scan a QR code".
    label: &'static str,
) -> impl IntoView {
    let scanning = RwSignal::new(false);
    let message = RwSignal::new(String::new());
    let video_ref = NodeRef::<leptos::html::Video>::new();

    let start = move |_| {
        scanning.set(true);
        message.set("Point the camera at the QR code.".to_owned());
        leptos::task::spawn_local(async move {
            sleep_ms(0).await;
            let Some(video) = video_ref.get_untracked() else { return };
            let video: web_sys::HtmlVideoElement = video;
            let stream = match start_camera(&video).await {
                Ok(stream) => stream,
                Err(_) => {
                    message.set("The camera could not be opened. Paste the text instead.".to_owned());
                    scanning.set(false);
                    return;
                }
            };
            let detector = match new_detector() {
                Ok(detector) => detector,
                Err(_) => {
                    stop_camera(&stream);
                    message.set("This browser cannot read QR codes. Paste the text instead.".to_owned());
                    scanning.set(false);
                    return;
                }
            };
            // Up to two minutes, four frames a second; stops early when cancelled.
            for _ in 0..480 {
                if !scanning.get_untracked() {
                    break;
                }
                if let Ok(Some(text)) = detect(&detector, &video).await {
                    target.set(text);
                    message.set("QR code read.".to_owned());
                    scanning.set(false);
                    break;
                }
                sleep_ms(250).await;
            }
            if scanning.get_untracked() {
                message.set("No QR code found. Try again, or paste the text instead.".to_owned());
            }
            scanning.set(false);
            stop_camera(&stream);
        });
    };

    view! {
        <Show when=scanner_supported>
            <div class="scanner">
                <Show
                    when=move || scanning.get()
                    fallback=move || view! {
                        <button type="button" class="button secondary" on:click=start>{label}</button>
                    }
                >
                    <video node_ref=video_ref class="scanner-video" muted=true playsinline=true aria-label="Camera view"></video>
                    <button type="button" class="button secondary" on:click=move |_| scanning.set(false)>
                        "Stop scanning"
                    </button>
                </Show>
                <p class="hint" role="status" aria-live="polite">{move || message.get()}</p>
            </div>
        </Show>
    }
}
