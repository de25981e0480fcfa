using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace WebhookEnterprise.Api;

/// <summary>
/// Guards the management API: a caller must present the admin token as a bearer token, or,
/// when no token is configured, call from loopback.
/// </summary>
internal sealed class AdminTokenFilter(IOptions<ApiOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var token = options.Value.AdminToken;

        if (string.IsNullOrEmpty(token))
        {
            var remote = http.Connection.RemoteIpAddress;
            if (remote is not null && !IPAddress.IsLoopback(remote))
            {
                return TypedResults.Problem(
                    detail: "No admin token is configured, so the management API answers only on loopback.",
                    statusCode: StatusCodes.Status403Forbidden);
            }

            return await next(context);
        }

        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(token)))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";

            return TypedResults.Problem(
                detail: "The admin token is missing or wrong; pass --token or set WEBHOOK_ADMIN_TOKEN.",
                statusCode: StatusCodes.Status401Unauthorized);
        }

        return await next(context);
    }
}
