using System.Net;
using System.Net.Sockets;

namespace DevMentor.Core.Notifications;

/// <summary>A webhook or Slack target refused because its host is (or resolves to) an internal address.</summary>
public sealed class TargetRefusedException : Exception
{
    public TargetRefusedException()
    {
    }

    public TargetRefusedException(string message) : base(message)
    {
    }

    public TargetRefusedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// The SSRF filter of webhook and Slack targets (ADR 0036). A subscriber names a URL and the service
/// POSTs to it, so without a filter any project maintainer could make the service reach its own
/// loopback, the private network or the cloud metadata endpoint. Both checks look at the addresses
/// the host resolves to, never at how the URL spells it (decimal, octal, hex, short IPv4 forms and
/// IPv4-mapped IPv6 all end as the same <see cref="IPAddress"/>): at subscription time (a 4xx), and
/// at delivery time in the connection callback, which connects to exactly the address it checked,
/// so a name that resolves elsewhere by then (DNS rebinding) is refused too.
/// <c>Notifications:AllowPrivateTargets</c> turns the filter off (local receivers, tests).
/// </summary>
public sealed class TargetAddressPolicy(bool allowPrivateTargets)
{
    // IPv4: "this network", private (RFC 1918), carrier-grade NAT, loopback, link-local (the metadata
    // endpoint 169.254.169.254 is in it), IETF protocol assignments, benchmarking, multicast, reserved
    // and broadcast. IPv6: unspecified, loopback, unique local (fc00::/7 holds fd00::/8 and AWS's
    // fd00:ec2::254), link-local, the deprecated site-local and multicast. IPv4 inside IPv6 (mapped,
    // compatible, NAT64 and 6to4) is unwrapped and judged as IPv4 first.
    private static readonly IPNetwork[] Blocked = new[]
    {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    }.Select(s => IPNetwork.Parse(s)).ToArray();

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Compatible = IPNetwork.Parse("::/96");

    public bool AllowPrivateTargets { get; } = allowPrivateTargets;

    /// <summary>Whether an address is loopback, private, link-local, multicast, unspecified, metadata or otherwise internal.</summary>
    public static bool IsInternal(IPAddress address)
    {
        var a = Unwrap(address);
        return Blocked.Any(n => n.Contains(a));
    }

    /// <summary>Subscription time: why the URL's host is refused, or null when it may be used.</summary>
    public async Task<string?> CheckAsync(Uri url, CancellationToken cancellationToken)
    {
        if (AllowPrivateTargets)
        {
            return null;
        }

        try
        {
            await ResolveAsync(url.IdnHost, cancellationToken);
            return null;
        }
        catch (TargetRefusedException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Delivery time: resolves the host, refuses it when any address is internal, and connects to the
    /// first address it checked (SocketsHttpHandler.ConnectCallback).
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = AllowPrivateTargets ? await Dns.GetHostAddressesAsync(host, cancellationToken) : await ResolveAsync(host, cancellationToken);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new TargetRefusedException($"the host {host} does not resolve ({e.SocketErrorCode})");
        }

        if (addresses.Length == 0)
        {
            throw new TargetRefusedException($"the host {host} does not resolve");
        }

        // One internal address is enough to refuse: connecting to "the other one" would let a name
        // with a public and a private address through half the time.
        if (addresses.FirstOrDefault(IsInternal) is { } bad)
        {
            throw new TargetRefusedException(
                $"the host {host} is or resolves to {bad}, an internal address (loopback, private, link-local, multicast or metadata); Notifications:AllowPrivateTargets allows it");
        }

        return addresses;
    }

    private static IPAddress Unwrap(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        var bytes = address.GetAddressBytes();
        if (Nat64.Contains(address) || (Compatible.Contains(address) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback)))
        {
            return new IPAddress(bytes.AsSpan(12, 4));
        }

        return SixToFour.Contains(address) ? new IPAddress(bytes.AsSpan(2, 4)) : address;
    }
}
