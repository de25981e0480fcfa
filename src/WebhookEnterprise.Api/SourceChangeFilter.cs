using Microsoft.AspNetCore.Http;

namespace WebhookEnterprise.Api;

/// <summary>Empties the <see cref="IngressSourceCache"/> after every request that changes sources or targets.</summary>
public sealed class SourceChangeFilter(IngressSourceCache cache) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        if (!HttpMethods.IsGet(context.HttpContext.Request.Method))
        {
            cache.Changed();
        }

        return result;
    }
}
