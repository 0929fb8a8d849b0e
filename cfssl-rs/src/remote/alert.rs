//! Reading a TLS 1.3 server's refusal of our client certificate.
//!
//! Under TLS 1.3 the server judges the client certificate after the client's handshake
//! has finished, and answers a refusal with an alert and a close. Our request then
//! meets the server's reset: rustls ignores the failed flush of the request, and its
//! next read first retries the write, so the request fails with `broken pipe` while
//! the alert still waits unread in the socket. Go's client reads it (`remote error:
//! tls: bad certificate`). This transport sits between TCP and rustls: a write the
//! peer has reset is set aside, reads go on, and the write's error comes back only when
//! nothing more can be read (so rustls reads and reports the alert when there is one).
//! ureq has no such setting of its own.

use std::io;
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, NextTimeout, RustlsConnector,
    TcpConnector, Transport,
};
use ureq::Error;

/// ureq's default connector chain (HTTP CONNECT proxies, TCP, rustls) with
/// [`DeferWriteReset`] under the TLS layer.
pub fn connector() -> impl Connector<Out = impl Transport> {
    ().chain(ConnectProxyConnector::default())
        .chain(TcpConnector::default())
        .chain(DeferWriteReset)
        .chain(RustlsConnector::default())
}

#[derive(Debug)]
pub struct DeferWriteReset;

impl<In: Transport> Connector<In> for DeferWriteReset {
    type Out = Deferring<In>;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        Ok(chained.map(|inner| Deferring {
            inner,
            reset: None,
            error: None,
        }))
    }
}

#[derive(Debug)]
pub struct Deferring<T> {
    inner: T,
    /// Set once a write met the peer's reset.
    reset: Option<io::ErrorKind>,
    /// That write's error, until it is reported.
    error: Option<io::Error>,
}

impl<T: Transport> Transport for Deferring<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        if self.reset.is_some() {
            return Ok(());
        }
        match self.inner.transmit_output(amount, timeout) {
            Err(Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                ) =>
            {
                self.reset = Some(e.kind());
                self.error = Some(e);
                Ok(())
            }
            other => other,
        }
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let got = self.inner.await_input(timeout);
        match (self.reset, got) {
            (Some(kind), Ok(false) | Err(_)) => Err(Error::Io(
                self.error.take().unwrap_or_else(|| io::Error::from(kind)),
            )),
            (_, got) => got,
        }
    }

    fn is_open(&mut self) -> bool {
        self.reset.is_none() && self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}
