//! Scanning QR codes with the camera, in every browser with `getUserMedia`: the camera's frames go to the
//! browser's `BarcodeDetector` where it exists (reached through `js_sys::Reflect`, as web-sys does not bind
//! it), and everywhere else through a canvas (`drawImage` + `getImageData`, at most [`scan::SCAN_WIDTH`] px
//! wide) to the decoder worker ([`QrDecoder`]: greyscale and the `rqrr` decoder in wasm, `src/bin/qr-worker/`, off
//! the page's thread and out of the app's bundle). Every code read feeds a
//! [`Assembler`] (NUT-16), so an animated (multipart) code fills in part by part with visible progress. Torch and
//! camera switch appear where the device has them; Cancel stops every track. Pasting always works too.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::platform::sleep;
use shared::nut16::{Assembler, ScanProgress};

use crate::platform::qr_decoder::QrDecoder;
use crate::scan;
use crate::wallet::split_fn;

fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(target, &JsValue::from_str(key)).ok().filter(|value| !value.is_undefined() && !value.is_null())
}

fn set(target: &JsValue, key: &str, value: &JsValue) -> Result<(), JsValue> {
    js_sys::Reflect::set(target, &JsValue::from_str(key), value).map(|_| ())
}

/// Whether this browser can open a camera (`navigator.mediaDevices.getUserMedia` exists): then the scan
/// button shows, and the wasm decoder reads codes where `BarcodeDetector` is missing.
pub fn scanner_supported() -> bool {
    let Some(window) = web_sys::window() else { return false };
    get(&window.navigator(), "mediaDevices").and_then(|devices| get(&devices, "getUserMedia")).is_some()
}

/// A `new BarcodeDetector({formats: ["qr_code"]})`, where the browser has one.
fn new_detector() -> Result<JsValue, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let constructor: js_sys::Function =
        get(&window, "BarcodeDetector").ok_or_else(|| JsValue::from_str("no BarcodeDetector"))?.dyn_into()?;
    let options = js_sys::Object::new();
    set(&options, "formats", &js_sys::Array::of1(&JsValue::from_str("qr_code")))?;
    js_sys::Reflect::construct(&constructor, &js_sys::Array::of1(&options))
}

/// The first QR code's text in the current video frame, by `BarcodeDetector`.
async fn detect(detector: &JsValue, video: &web_sys::HtmlVideoElement) -> Result<Option<String>, JsValue> {
    let detect: js_sys::Function =
        get(detector, "detect").ok_or_else(|| JsValue::from_str("no detect method"))?.dyn_into()?;
    let promise: js_sys::Promise = detect.call1(detector, video)?.dyn_into()?;
    let found: js_sys::Array = JsFuture::from(promise).await?.dyn_into()?;
    Ok(found.iter().find_map(|code| get(&code, "rawValue")).and_then(|value| value.as_string()))
}

/// The wasm path: a canvas of its own (never in the page) that video frames are drawn into, downscaled to
/// [`scan::scan_size`] and read back as RGBA for the decoder worker.
#[derive(Debug)]
pub struct FrameReader {
    canvas: web_sys::HtmlCanvasElement,
    context: web_sys::CanvasRenderingContext2d,
}

impl FrameReader {
    /// A reader with its canvas (`willReadFrequently`, as every frame is read back).
    pub fn new() -> Result<Self, JsValue> {
        let document = web_sys::window().and_then(|window| window.document()).ok_or("no document")?;
        let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
        let options = js_sys::Object::new();
        set(&options, "willReadFrequently", &JsValue::TRUE)?;
        let context = canvas.get_context_with_context_options("2d", &options)?.ok_or("no 2d context")?.dyn_into()?;
        Ok(Self { canvas, context })
    }

    /// `video`'s current frame, downscaled to [`scan::scan_size`] (`Ok(None)` while it has no frame).
    pub fn frame(&mut self, video: &web_sys::HtmlVideoElement) -> Result<Option<web_sys::ImageData>, JsValue> {
        let Some((width, height)) = scan::scan_size(video.video_width(), video.video_height()) else {
            return Ok(None);
        };
        if self.canvas.width() != width || self.canvas.height() != height {
            self.canvas.set_width(width);
            self.canvas.set_height(height);
        }
        let (w, h) = (f64::from(width), f64::from(height));
        self.context.draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w, h)?;
        self.context.get_image_data(0.0, 0.0, w, h).map(Some)
    }

    /// The text of a QR code in `video`'s current frame, decoded by `decoder`, if any.
    pub async fn read(
        &mut self,
        video: &web_sys::HtmlVideoElement,
        decoder: &QrDecoder,
    ) -> Result<Option<String>, JsValue> {
        let Some(frame) = self.frame(video)? else { return Ok(None) };
        let decoded = decoder.decode(&frame).await.map_err(|error| JsValue::from_str(&error))?;
        Ok(decoded.texts.into_iter().next())
    }
}

/// The `name` of the `DOMException` a camera call failed with ("NotAllowedError", ...), or "".
fn error_name(error: &JsValue) -> String {
    error.dyn_ref::<web_sys::DomException>().map(|error| error.name()).unwrap_or_default()
}

/// Opens a camera: `device` when chosen, else the back one (`facingMode: environment`), 640x480 preferred.
async fn open_camera(device: Option<&str>) -> Result<web_sys::MediaStream, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let devices = window.navigator().media_devices()?;
    let video = js_sys::Object::new();
    match device {
        Some(id) => {
            let exact = js_sys::Object::new();
            set(&exact, "exact", &JsValue::from_str(id))?;
            set(&video, "deviceId", &exact)?;
        }
        None => set(&video, "facingMode", &JsValue::from_str("environment"))?,
    }
    for (key, ideal) in [("width", 640), ("height", 480)] {
        let size = js_sys::Object::new();
        set(&size, "ideal", &JsValue::from(ideal))?;
        set(&video, key, &size)?;
    }
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_video(&video);
    constraints.set_audio(&JsValue::FALSE);
    JsFuture::from(devices.get_user_media_with_constraints(&constraints)?).await?.dyn_into()
}

/// The device ids of the video inputs (known once a camera was allowed).
async fn video_inputs() -> Vec<String> {
    let Some(Ok(devices)) = web_sys::window().map(|window| window.navigator().media_devices()) else {
        return Vec::new();
    };
    let Ok(promise) = devices.enumerate_devices() else { return Vec::new() };
    let Ok(list) = JsFuture::from(promise).await else { return Vec::new() };
    js_sys::Array::from(&list)
        .iter()
        .filter_map(|device| device.dyn_into::<web_sys::MediaDeviceInfo>().ok())
        .filter(|device| device.kind() == web_sys::MediaDeviceKind::Videoinput)
        .map(|device| device.device_id())
        .collect()
}

fn video_track(stream: &web_sys::MediaStream) -> Option<web_sys::MediaStreamTrack> {
    stream.get_video_tracks().get(0).dyn_into().ok()
}

/// Whether the camera has a torch (`getCapabilities().torch`; the method is missing in some browsers).
fn has_torch(track: &web_sys::MediaStreamTrack) -> bool {
    get(track, "getCapabilities")
        .and_then(|method| method.dyn_into::<js_sys::Function>().ok())
        .and_then(|method| method.call0(track).ok())
        .and_then(|capabilities| get(&capabilities, "torch"))
        .is_some_and(|torch| torch.is_truthy())
}

/// `track.applyConstraints({advanced: [{torch: on}]})`.
async fn set_torch(track: &web_sys::MediaStreamTrack, on: bool) -> Result<(), JsValue> {
    let torch = js_sys::Object::new();
    set(&torch, "torch", &JsValue::from_bool(on))?;
    let constraints = js_sys::Object::new();
    set(&constraints, "advanced", &js_sys::Array::of1(&torch))?;
    let apply: js_sys::Function = get(track, "applyConstraints").ok_or("no applyConstraints")?.dyn_into()?;
    let promise: js_sys::Promise = apply.call1(track, &constraints)?.dyn_into()?;
    JsFuture::from(promise).await.map(|_| ())
}

fn stop_tracks(stream: &web_sys::MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|window| window.performance()).map_or_else(js_sys::Date::now, |clock| clock.now())
}

/// Everything one scanner's screen and its camera loop share (all `Copy` handles).
#[derive(Clone, Copy)]
struct Scan {
    target: RwSignal<String>,
    scanning: RwSignal<bool>,
    message: RwSignal<String>,
    /// Parts resolved of the total, while an animated code is being read.
    progress: RwSignal<Option<(usize, usize)>>,
    /// `None`: this camera has no torch.
    torch: RwSignal<Option<bool>>,
    cameras: RwSignal<Vec<String>>,
    camera: RwSignal<usize>,
    /// Bumped on every start and stop: a camera loop ends when it no longer sees its own number.
    session: StoredValue<u32>,
    stream: StoredValue<Option<web_sys::MediaStream>, LocalStorage>,
    video: NodeRef<leptos::html::Video>,
    /// Frames decoded in this session, the milliseconds they took, and which decoder ran (for tests and the
    /// benchmark: the element's `data-decoded-frames`, `data-decode-ms`, `data-decoder`).
    frames: RwSignal<u32>,
    decode_ms: RwSignal<f64>,
    decoder: RwSignal<&'static str>,
}

split_fn! {
    in scanner:
    /// Starts a scanning session ([`Scan::start`]): the camera loop and the NUT-16 assembler it drives load on
    /// demand (see `components::on_demand`).
    fn start_session(scan: Scan, device: Option<String>) -> () {
        scan.start(device)
    }
}

impl Scan {
    /// Opens the camera (`device`, or the back one) once the scanner's code is loaded; says so when it
    /// cannot be.
    fn open(self, device: Option<String>) {
        leptos::task::spawn_local(async move {
            if let Err(missing) = start_session(self, device).await {
                self.message.set(missing.to_string());
            }
        });
    }

    /// Ends the running session (if any) and stops every camera track.
    fn stop(self) {
        self.session.try_update_value(|session| *session = session.wrapping_add(1));
        if let Some(Some(stream)) = self.stream.try_update_value(Option::take) {
            stop_tracks(&stream);
        }
    }

    /// Opens the camera (`device`, or the back one) and reads frames until a whole code is read or the
    /// session ends.
    fn start(self, device: Option<String>) {
        self.stop();
        let Some(session) = self.session.try_get_value() else { return };
        self.scanning.set(true);
        self.progress.set(None);
        self.torch.set(None);
        self.frames.set(0);
        self.decode_ms.set(0.0);
        self.message.set("Point the camera at the QR code.".to_owned());
        leptos::task::spawn_local(async move {
            // The <video> exists after this render.
            sleep(0).await;
            let Some(video) = self.video.get_untracked() else { return };
            let stream = match open_camera(device.as_deref()).await {
                Ok(stream) => stream,
                Err(error) => {
                    self.message.set(scan::camera_error_words(&error_name(&error)).to_owned());
                    self.scanning.set(false);
                    return;
                }
            };
            if self.session.try_get_value() != Some(session) {
                // Cancelled (or unmounted) while the camera was opening.
                stop_tracks(&stream);
                return;
            }
            // Kept before anything else is awaited: a Cancel from here on finds this camera and stops it.
            // `Clone::clone`: `MediaStream::clone` would be the JS method, a new stream with copies of the tracks.
            self.stream.try_set_value(Some(Clone::clone(&stream)));
            video.set_src_object(Some(&stream));
            if let Ok(promise) = video.play() {
                let _ = JsFuture::from(promise).await;
            }
            if self.session.try_get_value() != Some(session) {
                return;
            }
            if let Some(track) = video_track(&stream) {
                self.torch.set(has_torch(&track).then_some(false));
            }
            if self.cameras.with_untracked(Vec::is_empty) {
                self.cameras.set(video_inputs().await);
            }
            self.read_frames(session, &video).await;
        });
    }

    async fn read_frames(self, session: u32, video: &web_sys::HtmlVideoElement) {
        let detector = new_detector().ok();
        // The decoder worker starts only where there is no `BarcodeDetector`, and stops with this loop.
        let worker = if detector.is_none() { QrDecoder::start().await.ok() } else { None };
        let mut reader = match (&detector, FrameReader::new(), &worker) {
            (None, Err(_), _) | (None, _, None) => {
                self.message.set("This browser cannot read camera frames. Paste the text instead.".to_owned());
                self.stop();
                self.scanning.set(false);
                return;
            }
            (_, reader, _) => reader.ok(),
        };
        self.decoder.set(if detector.is_some() { "barcode-detector" } else { "rqrr" });
        let mut assembler = Assembler::default();
        let mut last_frame_time = -1.0;
        while self.session.try_get_value() == Some(session) {
            // One decode at a time; frames that arrive meanwhile are skipped, and a frame already read is not
            // read again. 20 ms between looks at the video bounds the work when decoding is fast.
            sleep(20).await;
            let frame_time = video.current_time();
            if frame_time == last_frame_time || video.video_width() == 0 {
                continue;
            }
            last_frame_time = frame_time;
            let started = now_ms();
            let read = match (&detector, reader.as_mut()) {
                (Some(detector), _) => detect(detector, video).await,
                (None, Some(reader)) => match &worker {
                    Some(worker) => reader.read(video, worker).await,
                    None => Ok(None),
                },
                (None, None) => Ok(None),
            };
            self.frames.update(|frames| *frames += 1);
            self.decode_ms.update(|total| *total += now_ms() - started);
            let Ok(Some(text)) = read else { continue };
            if self.session.try_get_value() != Some(session) {
                break;
            }
            match assembler.push(&text) {
                ScanProgress::Complete(text) => {
                    self.target.set(text);
                    self.message.set("QR code read.".to_owned());
                    self.stop();
                    self.scanning.set(false);
                }
                ScanProgress::Partial { resolved, total } => {
                    self.progress.set(Some((resolved, total)));
                    self.message.set(format!(
                        "Animated code: {}. Keep the camera on it.",
                        scan::progress_text(resolved, total)
                    ));
                }
                ScanProgress::Rejected(error) => self.message.set(format!("That code could not be used: {error}.")),
            }
        }
    }
}

/// "Scan a QR code" button and the camera view it opens. Writes the whole text it read into `target`: a
/// static code's text, or an animated code's payload once every part is in. Renders nothing when the browser
/// has no camera API.
#[component]
pub fn ScanButton(
    /// Receives the scanned text.
    target: RwSignal<String>,
    /// What the button says, e.g. "Scan a QR code".
    label: &'static str,
) -> impl IntoView {
    let scan = Scan {
        target,
        scanning: RwSignal::new(false),
        message: RwSignal::new(String::new()),
        progress: RwSignal::new(None),
        torch: RwSignal::new(None),
        cameras: RwSignal::new(Vec::new()),
        camera: RwSignal::new(0),
        session: StoredValue::new(0),
        stream: StoredValue::new_local(None),
        video: NodeRef::new(),
        frames: RwSignal::new(0),
        decode_ms: RwSignal::new(0.0),
        decoder: RwSignal::new(""),
    };
    on_cleanup(move || scan.stop());

    let cancel = move |_| {
        scan.stop();
        scan.scanning.set(false);
        scan.message.set(String::new());
    };
    let switch_camera = move |_| {
        let cameras = scan.cameras.get_untracked();
        if cameras.len() > 1 {
            let next = (scan.camera.get_untracked() + 1) % cameras.len();
            scan.camera.set(next);
            scan.open(cameras.get(next).cloned());
        }
    };
    let toggle_torch = move |_| {
        let Some(on) = scan.torch.get_untracked() else { return };
        let track = scan.stream.try_with_value(|stream| stream.as_ref().and_then(video_track)).flatten();
        let Some(track) = track else { return };
        leptos::task::spawn_local(async move {
            if set_torch(&track, !on).await.is_ok() {
                scan.torch.set(Some(!on));
            }
        });
    };
    let mean_ms = move || {
        let frames = scan.frames.get();
        if frames == 0 { String::new() } else { format!("{:.1}", scan.decode_ms.get() / f64::from(frames)) }
    };

    view! {
        <Show when=scanner_supported>
            <div
                class="scanner"
                data-decoder=move || scan.decoder.get()
                data-decoded-frames=move || scan.frames.get()
                data-decode-ms=mean_ms
                data-progress=move || scan.progress.get().map(|(resolved, total)| format!("{resolved}/{total}"))
            >
                <Show
                    when=move || scan.scanning.get()
                    fallback=move || view! {
                        <button type="button" class="button secondary" on:click=move |_| scan.open(None)>{label}</button>
                    }
                >
                    <div class="scanner-view">
                        <video node_ref=scan.video class="scanner-video" muted=true playsinline=true aria-label="Camera view"></video>
                    </div>
                    {move || scan.progress.get().map(|(resolved, total)| view! {
                        <div class="scanner-progress">
                            <progress max=total value=resolved.min(total) aria-label="Parts of the animated code read"></progress>
                            <span>{scan::progress_text(resolved, total)}</span>
                        </div>
                    })}
                    <div class="scanner-controls">
                        <button type="button" class="button secondary" on:click=cancel>"Cancel"</button>
                        <Show when=move || scan.torch.get().is_some()>
                            <button type="button" class="button secondary" aria-pressed=move || scan.torch.get() == Some(true) on:click=toggle_torch>
                                {move || if scan.torch.get() == Some(true) { "Torch off" } else { "Torch on" }}
                            </button>
                        </Show>
                        <Show when=move || scan.cameras.with(|cameras| cameras.len() > 1)>
                            <button type="button" class="button secondary" on:click=switch_camera>"Switch camera"</button>
                        </Show>
                    </div>
                </Show>
                <p class="hint" role="status" aria-live="polite">{move || scan.message.get()}</p>
            </div>
        </Show>
    }
}
