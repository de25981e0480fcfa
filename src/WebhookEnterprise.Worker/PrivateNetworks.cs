using System.Net;

namespace WebhookEnterprise.Worker;

/// <summary>
/// Networks a webhook has no business reaching when targets are not trusted: loopback,
/// private and shared address space, link-local (where cloud metadata services answer, such
/// as 169.254.169.254), unique local IPv6 (fd00:ec2::254 on AWS), multicast and reserved
/// ranges. IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by it.
/// </summary>
public static class PrivateNetworks
{
    private static readonly (IPNetwork Network, string Kind)[] Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "'this network'"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared (carrier-grade NAT)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "IETF protocol"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("fc00::/7"), "unique local"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Ipv4Compatible = IPNetwork.Parse("::/96");

    /// <summary>The kind of network <paramref name="address"/> is in ("loopback"...), or null when public.</summary>
    public static string? Classify(IPAddress address)
    {
        if (EmbeddedIpv4(address) is { } ipv4)
        {
            return Classify(ipv4);
        }

        foreach (var (network, kind) in Ranges)
        {
            if (network.Contains(address))
            {
                return kind;
            }
        }

        return null;
    }

    private static IPAddress? EmbeddedIpv4(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        var compatible = Ipv4Compatible.Contains(address)
            && !IPAddress.IPv6None.Equals(address)
            && !IPAddress.IPv6Loopback.Equals(address);
        if (Nat64.Contains(address) || compatible)
        {
            return new IPAddress(bytes.AsSpan(12, 4));
        }

        return SixToFour.Contains(address) ? new IPAddress(bytes.AsSpan(2, 4)) : null;
    }
}
