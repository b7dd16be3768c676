import CZeroMQ

/// Typed setters for the options the broker and nodes use, so nobody passes raw option
/// numbers or sizes. Set them before bind/connect: most apply only to later connections.
extension ZMQSocket {
    /// How long close waits to flush pending messages. Default is infinite; use 0 (or short)
    /// because the durable store, not ZeroMQ, holds anything undelivered.
    public func setLinger(milliseconds: Int32) throws {
        try setInt32(ZMQ_LINGER, "ZMQ_LINGER", milliseconds)
    }

    /// Makes ROUTER sends to an unknown peer fail with EHOSTUNREACH (and a full peer with
    /// EAGAIN) instead of dropping silently.
    public func setRouterMandatory(_ on: Bool) throws {
        try setInt32(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", on ? 1 : 0)
    }

    /// Queue messages only to completed connections, so a node's sends fail fast (EAGAIN)
    /// while the broker is unreachable instead of piling up in ZeroMQ.
    public func setImmediate(_ on: Bool) throws {
        try setInt32(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", on ? 1 : 0)
    }

    public func setSendHighWaterMark(_ n: Int32) throws {
        try setInt32(ZMQ_SNDHWM, "ZMQ_SNDHWM", n)
    }

    public func setReceiveHighWaterMark(_ n: Int32) throws {
        try setInt32(ZMQ_RCVHWM, "ZMQ_RCVHWM", n)
    }

    /// Largest inbound message (all frames' payload) a peer may send; a larger one drops
    /// that peer's connection. Default -1 is unlimited. Enforced on stream transports (TCP),
    /// not inproc.
    public func setMaxMessageSize(_ bytes: Int64) throws {
        try setOption(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", bytes)
    }

    /// Time allowed for the ZMTP (and CURVE) handshake; the default 30 s lets idle
    /// half-open connections linger.
    public func setHandshakeInterval(milliseconds: Int32) throws {
        try setInt32(ZMQ_HANDSHAKE_IVL, "ZMQ_HANDSHAKE_IVL", milliseconds)
    }

    /// ZMTP heartbeats (all in ms): `interval` between PINGs, `timeout` without traffic before
    /// the connection is dropped, `ttl` asked of the peer. They prove the link, not the node.
    public func setHeartbeat(interval: Int32, timeout: Int32, ttl: Int32) throws {
        try setInt32(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", interval)
        try setInt32(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", timeout)
        try setInt32(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL", ttl)
    }

    /// Reconnect backoff: starts at `milliseconds`, doubles up to `max` (0 = no backoff).
    public func setReconnectInterval(milliseconds: Int32, max: Int32) throws {
        try setInt32(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", milliseconds)
        try setInt32(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX", max)
    }

    /// The routing id a ROUTER peer will see (1–255 bytes). Client chosen, so never trust it
    /// as identity; use the CURVE User-Id.
    public func setRoutingId(_ id: [UInt8]) throws {
        try setBytes(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", id)
    }

    /// Blocking receives give up after this long (then `receive` returns nil); -1 = forever.
    public func setReceiveTimeout(milliseconds: Int32) throws {
        try setInt32(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO", milliseconds)
    }

    /// Blocking sends give up after this long (then `send` returns false); -1 = forever.
    public func setSendTimeout(milliseconds: Int32) throws {
        try setInt32(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO", milliseconds)
    }

    /// SUB sockets receive nothing until they subscribe; an empty prefix means everything.
    public func setSubscribe(_ prefix: [UInt8]) throws {
        try setBytes(ZMQ_SUBSCRIBE, "ZMQ_SUBSCRIBE", prefix)
    }

    /// Makes this socket a CURVE server with its long-term secret key (the public key is
    /// derived from it). Pair with `setZAPDomain(_:enforce: true)` or any key gets in.
    public func setCurveServer(secretKey: CurveKey) throws {
        try setInt32(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", 1)
        try setBytes(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", secretKey.bytes)
    }

    /// Makes this socket a CURVE client: its own key pair and the server's public key.
    public func setCurveClient(publicKey: CurveKey, secretKey: CurveKey, serverKey: CurveKey) throws {
        try setBytes(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", serverKey.bytes)
        try setBytes(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", publicKey.bytes)
        try setBytes(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", secretKey.bytes)
    }

    /// Sends handshakes to the ZAP handler under `domain`. With `enforce`, a missing ZAP
    /// handler rejects everyone (fail closed); without it CURVE fails open.
    /// ZMQ_ZAP_ENFORCE_DOMAIN (93) is draft-guarded in Debian's header; shim.h defines it.
    public func setZAPDomain(_ domain: String, enforce: Bool) throws {
        try setBytes(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", Array(domain.utf8))
        try setInt32(ZMQ_ZAP_ENFORCE_DOMAIN, "ZMQ_ZAP_ENFORCE_DOMAIN", enforce ? 1 : 0)
    }

    // MARK: - Raw setters

    private func setInt32(_ option: Int32, _ name: String, _ value: Int32) throws {
        try setOption(option, name, value)
    }

    private func setOption<T: FixedWidthInteger>(_ option: Int32, _ name: String, _ value: T) throws {
        let handle = try open("setsockopt \(name)")
        var value = value
        let rc = withUnsafeBytes(of: &value) {
            zmq_setsockopt(handle, option, $0.baseAddress, $0.count)
        }
        guard rc == 0 else { throw ZMQError.last("setsockopt \(name)") }
    }

    private func setBytes(_ option: Int32, _ name: String, _ bytes: [UInt8]) throws {
        let handle = try open("setsockopt \(name)")
        // An empty array may have no storage; libzmq wants a non-null pointer for some
        // options even at length 0 (e.g. subscribe to everything), so lend it a dummy byte.
        var dummy: UInt8 = 0
        let rc = bytes.isEmpty
            ? zmq_setsockopt(handle, option, &dummy, 0)
            : bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZMQError.last("setsockopt \(name)") }
    }
}
