//! A loopback TCP proxy in front of PostgreSQL that reads the wire protocol in both directions
//! and counts messages, so round trips and statements are counted, not estimated.
//!
//! Client → server: 'Q' simple query; 'P' parse, 'B' bind, 'E' execute, 'D' describe,
//! 'S' sync, 'H' flush (extended protocol). A **round trip** is a message after which the
//! client waits for the server: each 'Q', each 'S' and each 'H'. **Turns** count it the other
//! way, as a check: the times the client sent bytes after the server had answered.
//! Server → client: 'C' CommandComplete and 'I' EmptyQueryResponse are **statements**
//! executed; 'Z' ReadyForQuery ends each 'Q' / 'S'; 'E' is an error.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
pub struct Counters {
    pub simple_queries: AtomicU64,
    pub parses: AtomicU64,
    pub binds: AtomicU64,
    pub executes: AtomicU64,
    pub describes: AtomicU64,
    pub syncs: AtomicU64,
    pub flushes: AtomicU64,
    pub statements: AtomicU64,
    pub ready: AtomicU64,
    pub errors: AtomicU64,
    pub turns: AtomicU64,
    pub client_bytes: AtomicU64,
    pub server_bytes: AtomicU64,
}

/// Counts at one moment; subtract two to get what happened in between.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub simple_queries: u64,
    pub parses: u64,
    pub binds: u64,
    pub executes: u64,
    pub describes: u64,
    pub syncs: u64,
    pub flushes: u64,
    pub statements: u64,
    pub ready: u64,
    pub errors: u64,
    pub turns: u64,
    pub client_bytes: u64,
    pub server_bytes: u64,
}

impl Snapshot {
    /// Client flushes that wait for the server: 'Q' + 'S' + 'H'.
    pub fn round_trips(&self) -> u64 {
        self.simple_queries + self.syncs + self.flushes
    }

    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            simple_queries: self.simple_queries - earlier.simple_queries,
            parses: self.parses - earlier.parses,
            binds: self.binds - earlier.binds,
            executes: self.executes - earlier.executes,
            describes: self.describes - earlier.describes,
            syncs: self.syncs - earlier.syncs,
            flushes: self.flushes - earlier.flushes,
            statements: self.statements - earlier.statements,
            ready: self.ready - earlier.ready,
            errors: self.errors - earlier.errors,
            turns: self.turns - earlier.turns,
            client_bytes: self.client_bytes - earlier.client_bytes,
            server_bytes: self.server_bytes - earlier.server_bytes,
        }
    }
}

impl Counters {
    pub fn snapshot(&self) -> Snapshot {
        let l = |a: &AtomicU64| a.load(Ordering::SeqCst);
        Snapshot {
            simple_queries: l(&self.simple_queries),
            parses: l(&self.parses),
            binds: l(&self.binds),
            executes: l(&self.executes),
            describes: l(&self.describes),
            syncs: l(&self.syncs),
            flushes: l(&self.flushes),
            statements: l(&self.statements),
            ready: l(&self.ready),
            errors: l(&self.errors),
            turns: l(&self.turns),
            client_bytes: l(&self.client_bytes),
            server_bytes: l(&self.server_bytes),
        }
    }

    fn client_message(&self, tag: u8) {
        let counter = match tag {
            b'Q' => &self.simple_queries,
            b'P' => &self.parses,
            b'B' => &self.binds,
            b'E' => &self.executes,
            b'D' => &self.describes,
            b'S' => &self.syncs,
            b'H' => &self.flushes,
            _ => return,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }

    fn server_message(&self, tag: u8) {
        let counter = match tag {
            b'C' | b'I' => &self.statements,
            b'Z' => &self.ready,
            b'E' => &self.errors,
            _ => return,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;

/// Splits one direction's byte stream into messages, whatever the read boundaries.
/// Untyped messages (the client's start-up packets, the server's one-byte answer to an
/// SSL/GSS request) are handled as the protocol says.
#[derive(Debug)]
pub struct Parser {
    client: bool,
    /// Client: still in the start-up phase (messages have no tag).
    untyped: bool,
    header: [u8; 8],
    have: usize,
    skip: usize,
}

impl Parser {
    pub fn client() -> Parser {
        Parser {
            client: true,
            untyped: true,
            header: [0; 8],
            have: 0,
            skip: 0,
        }
    }

    pub fn server() -> Parser {
        Parser {
            client: false,
            untyped: false,
            header: [0; 8],
            have: 0,
            skip: 0,
        }
    }

    /// Feeds bytes; calls `on(tag)` for every complete typed message header. An SSL/GSS
    /// request seen on the client side adds to `pending_answers`; the server side then reads
    /// that many one-byte, untyped answers first.
    pub fn feed(&mut self, mut data: &[u8], pending_answers: &AtomicU64, on: &mut impl FnMut(u8)) {
        while !data.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(data.len());
                self.skip -= n;
                data = &data[n..];
                continue;
            }
            if !self.client && self.have == 0 && pending_answers.load(Ordering::SeqCst) > 0 {
                // 'N' or 'S' (or 'G'): the answer to an SSL/GSS request, one byte, no length.
                pending_answers.fetch_sub(1, Ordering::SeqCst);
                data = &data[1..];
                continue;
            }
            // Untyped start-up packets: length (4) + code (4). Typed: tag (1) + length (4).
            let need = if self.untyped { 8 } else { 5 };
            let n = (need - self.have).min(data.len());
            self.header[self.have..self.have + n].copy_from_slice(&data[..n]);
            self.have += n;
            data = &data[n..];
            if self.have < need {
                continue;
            }
            self.have = 0;
            if self.untyped {
                let length =
                    u32::from_be_bytes(self.header[0..4].try_into().expect("4 bytes")) as usize;
                let code = u32::from_be_bytes(self.header[4..8].try_into().expect("4 bytes"));
                self.skip = length.saturating_sub(8);
                if code == SSL_REQUEST || code == GSSENC_REQUEST {
                    pending_answers.fetch_add(1, Ordering::SeqCst);
                } else {
                    self.untyped = false; // the StartupMessage: typed messages follow
                }
            } else {
                let tag = self.header[0];
                let length =
                    u32::from_be_bytes(self.header[1..5].try_into().expect("4 bytes")) as usize;
                self.skip = length.saturating_sub(4);
                on(tag);
            }
        }
    }
}

/// A running proxy: connect clients to `127.0.0.1:port`.
pub struct Proxy {
    pub port: u16,
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        Proxy::start_delayed(upstream, Duration::ZERO).await
    }

    /// A proxy that holds every chunk for `delay` before forwarding it, in each direction:
    /// a network `delay` away (one round trip costs twice it), with no limit on how much is in
    /// flight, so pipelined messages are not serialized by it.
    pub async fn start_delayed(upstream: SocketAddr, delay: Duration) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let counters = Arc::new(Counters::default());
        let shared = Arc::clone(&counters);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                tokio::spawn(relay(client, server, Arc::clone(&shared), delay));
            }
        });
        Proxy {
            port,
            counters,
            task,
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        self.counters.snapshot()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Writes what `chunks` delivers, each no earlier than its deadline.
async fn delayed_writer(
    mut chunks: tokio::sync::mpsc::UnboundedReceiver<(tokio::time::Instant, Vec<u8>)>,
    mut out: tokio::net::tcp::OwnedWriteHalf,
) {
    while let Some((deadline, bytes)) = chunks.recv().await {
        tokio::time::sleep_until(deadline).await;
        if out.write_all(&bytes).await.is_err() {
            break;
        }
    }
    let _ = out.shutdown().await;
}

/// Where a direction's bytes go: straight to the socket, or through a delaying writer.
enum Sink {
    Direct(tokio::net::tcp::OwnedWriteHalf),
    Delayed(
        tokio::sync::mpsc::UnboundedSender<(tokio::time::Instant, Vec<u8>)>,
        Duration,
    ),
}

impl Sink {
    fn new(out: tokio::net::tcp::OwnedWriteHalf, delay: Duration) -> Sink {
        if delay.is_zero() {
            return Sink::Direct(out);
        }
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(delayed_writer(receiver, out));
        Sink::Delayed(sender, delay)
    }

    async fn send(&mut self, bytes: &[u8]) -> bool {
        match self {
            Sink::Direct(out) => out.write_all(bytes).await.is_ok(),
            Sink::Delayed(sender, delay) => sender
                .send((tokio::time::Instant::now() + *delay, bytes.to_vec()))
                .is_ok(),
        }
    }

    async fn close(self) {
        if let Sink::Direct(mut out) = self {
            let _ = out.shutdown().await;
        }
    }
}

async fn relay(client: TcpStream, server: TcpStream, counters: Arc<Counters>, delay: Duration) {
    let (mut client_read, client_write) = client.into_split();
    let (mut server_read, server_write) = server.into_split();
    let mut server_write = Sink::new(server_write, delay);
    let mut client_write = Sink::new(client_write, delay);
    // Whether the server spoke last (so the client's next bytes start a new turn), and how
    // many one-byte answers to SSL/GSS requests the server owes.
    let server_spoke = Arc::new(AtomicBool::new(true));
    let pending = Arc::new(AtomicU64::new(0));
    let upstream = {
        let (counters, server_spoke, pending) = (
            Arc::clone(&counters),
            Arc::clone(&server_spoke),
            Arc::clone(&pending),
        );
        async move {
            let mut parser = Parser::client();
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let n = match client_read.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if server_spoke.swap(false, Ordering::SeqCst) {
                    counters.turns.fetch_add(1, Ordering::SeqCst);
                }
                counters.client_bytes.fetch_add(n as u64, Ordering::SeqCst);
                // Count before forwarding: when the client sees the answer, the counts are in.
                parser.feed(&buffer[..n], &pending, &mut |tag| {
                    counters.client_message(tag)
                });
                if !server_write.send(&buffer[..n]).await {
                    break;
                }
            }
            server_write.close().await;
        }
    };
    let downstream = async move {
        let mut parser = Parser::server();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            counters.server_bytes.fetch_add(n as u64, Ordering::SeqCst);
            parser.feed(&buffer[..n], &pending, &mut |tag| {
                counters.server_message(tag)
            });
            server_spoke.store(true, Ordering::SeqCst);
            if !client_write.send(&buffer[..n]).await {
                break;
            }
        }
        client_write.close().await;
    };
    tokio::join!(upstream, downstream);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![tag];
        m.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    fn untyped(code: u32, body: &[u8]) -> Vec<u8> {
        let mut m = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        m.extend_from_slice(&code.to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn client_messages_are_counted_across_any_split() {
        let mut stream = untyped(SSL_REQUEST, b"");
        stream.extend(untyped(196_608, b"user\0postgres\0\0"));
        stream.extend(typed(b'Q', b"SELECT 1\0"));
        stream.extend(typed(b'P', b"\0SELECT $1\0\0\0"));
        stream.extend(typed(b'B', b"\0\0\0\0\0\0\0\0"));
        stream.extend(typed(b'E', b"\0\0\0\0\0"));
        stream.extend(typed(b'S', b""));
        for chunk in [1, 2, 3, 7, 1000] {
            let mut parser = Parser::client();
            let pending = AtomicU64::new(0);
            let mut tags = Vec::new();
            for piece in stream.chunks(chunk) {
                parser.feed(piece, &pending, &mut |t| tags.push(t));
            }
            assert_eq!(tags, b"QPBES", "chunk {chunk}");
            assert_eq!(pending.load(Ordering::SeqCst), 1);
        }
    }

    #[test]
    fn the_server_answer_to_an_ssl_request_is_one_untyped_byte() {
        let mut stream = vec![b'N'];
        stream.extend(typed(b'R', &[0, 0, 0, 0]));
        stream.extend(typed(b'C', b"CREATE TABLE\0"));
        stream.extend(typed(b'Z', b"I"));
        let mut parser = Parser::server();
        let pending = AtomicU64::new(1);
        let mut tags = Vec::new();
        for piece in stream.chunks(2) {
            parser.feed(piece, &pending, &mut |t| tags.push(t));
        }
        assert_eq!(tags, b"RCZ");
    }
}
