//! A minimal HTTP/1.1 client (keep-alive, Content-Length or chunked bodies): blocking on `std::net` for the
//! untimed setup, and [`AsyncConnection`] for the timed loop.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, anyhow, bail, ensure};

/// Longest wait for one HTTP response.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest response body accepted.
const MAX_BODY: usize = 64 << 20;

pub struct Endpoint {
    pub addr: SocketAddr,
    pub host: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> anyhow::Result<Endpoint> {
        let rest = url.strip_prefix("http://").ok_or_else(|| anyhow!("--url must start with http://"))?;
        let host = rest.trim_end_matches('/');
        ensure!(!host.contains('/'), "--url must be http://HOST:PORT with no path");
        let addr = host
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {host}"))?
            .next()
            .ok_or_else(|| anyhow!("{host} resolves to nothing"))?;
        Ok(Endpoint { addr, host: host.to_owned() })
    }

    pub fn request_bytes(&self, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if method == "POST" {
            let _ = write!(head, "Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    pub fn connect(&self) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(10))
            .with_context(|| format!("cannot connect to {}", self.addr))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Connection { reader: BufReader::with_capacity(16 * 1024, stream), line: String::new() })
    }
}

pub struct Connection {
    pub reader: BufReader<TcpStream>,
    pub line: String,
}

/// What the client needs of a response head (both the blocking and the timed-loop client read it so).
pub struct Head {
    pub status: u16,
    pub length: Option<usize>,
    pub chunked: bool,
    pub close: bool,
}

impl Head {
    pub fn from_status_line(line: &str) -> anyhow::Result<Head> {
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| anyhow!("bad status line {line:?}"))?;
        Ok(Head { status, length: None, chunked: false, close: false })
    }

    /// Take in one header line.
    pub fn header(&mut self, line: &str) -> anyhow::Result<()> {
        let Some((name, value)) = line.split_once(':') else { bail!("bad header line {line:?}") };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            self.length = Some(value.parse::<usize>().context("bad content-length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            self.chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            self.close = value.eq_ignore_ascii_case("close");
        }
        Ok(())
    }
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    pub close: bool,
}

impl Connection {
    /// Send a complete request and read the response.
    pub fn send(&mut self, request: &[u8]) -> anyhow::Result<Response> {
        self.reader.get_mut().write_all(request)?;
        self.read_response()
    }

    pub fn read_line(&mut self) -> anyhow::Result<&str> {
        self.line.clear();
        let n = (&mut self.reader).take(64 * 1024).read_line(&mut self.line)?;
        ensure!(n > 0, "connection closed by the mint");
        Ok(self.line.trim_end_matches(['\r', '\n']))
    }

    pub fn read_response(&mut self) -> anyhow::Result<Response> {
        let mut head = Head::from_status_line(self.read_line()?)?;
        for _ in 0..256 {
            let line = self.read_line()?;
            if line.is_empty() {
                break;
            }
            head.header(line)?;
        }
        let Head { status, length, chunked, mut close } = head;
        let body = if chunked {
            let mut body = Vec::new();
            loop {
                let size_line = self.read_line()?;
                let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                    .context("bad chunk size")?;
                ensure!(body.len() + size <= MAX_BODY, "response too large");
                if size == 0 {
                    self.read_line()?;
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.reader.read_exact(&mut body[start..])?;
                self.read_line()?;
            }
            body
        } else if let Some(length) = length {
            ensure!(length <= MAX_BODY, "response too large");
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body)?;
            body
        } else {
            close = true;
            let mut body = Vec::new();
            (&mut self.reader).take(MAX_BODY as u64).read_to_end(&mut body)?;
            body
        };
        Ok(Response { status, body, close })
    }
}

/// One JSON request on a fresh or given connection; errors unless the status is 200.
pub fn call<T: serde::de::DeserializeOwned>(
    endpoint: &Endpoint,
    conn: &mut Connection,
    method: &str,
    path: &str,
    body: &[u8],
) -> anyhow::Result<T> {
    let response = conn.send(&endpoint.request_bytes(method, path, body))?;
    if response.close {
        *conn = endpoint.connect()?;
    }
    ensure!(
        response.status == 200,
        "{method} {path}: HTTP {}: {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    serde_json::from_slice(&response.body).with_context(|| format!("{method} {path}: unreadable response"))
}

/// The timed loop's connection: one request at a time, responses with a `Content-Length` (what the mint
/// sends for JSON).
pub struct AsyncConnection {
    pub stream: tokio::net::TcpStream,
    pub buffer: Vec<u8>,
}

impl AsyncConnection {
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<AsyncConnection> {
        let stream = tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect(addr))
            .await
            .map_err(|_| anyhow!("connecting to {addr} timed out"))?
            .with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(AsyncConnection { stream, buffer: Vec::with_capacity(16 * 1024) })
    }

    pub async fn send(&mut self, request: &[u8]) -> anyhow::Result<Response> {
        tokio::time::timeout(IO_TIMEOUT, self.exchange(request)).await.map_err(|_| anyhow!("no response in time"))?
    }

    pub async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<Response> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.stream.write_all(request).await?;
        self.buffer.clear();
        let head_end = loop {
            if let Some(at) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            ensure!(self.buffer.len() <= 64 * 1024, "response head too large");
            ensure!(self.stream.read_buf(&mut self.buffer).await? > 0, "connection closed by the mint");
        };
        let head = std::str::from_utf8(&self.buffer[..head_end]).context("response head is not UTF-8")?;
        let mut lines = head.split("\r\n");
        let mut head = Head::from_status_line(lines.next().unwrap_or(""))?;
        for line in lines.filter(|line| !line.is_empty()) {
            head.header(line)?;
        }
        let Head { status, length, chunked, close } = head;
        ensure!(!chunked, "chunked response in the timed loop");
        let length = length.ok_or_else(|| anyhow!("response without Content-Length"))?;
        ensure!(length <= MAX_BODY, "response too large");
        while self.buffer.len() < head_end + length {
            ensure!(self.stream.read_buf(&mut self.buffer).await? > 0, "connection closed by the mint");
        }
        let body = self.buffer[head_end..head_end + length].to_vec();
        Ok(Response { status, body, close })
    }
}
