using Microsoft.AspNetCore.Http;

namespace Vireo.Api.Http;

/// <summary>The shape shared by the PUT actions: validate, send the request to the control loop, answer 204.</summary>
internal static class VmAction
{
    /// <summary>An action without a body; a body sent anyway is an error rather than ignored.</summary>
    public static RequestDelegate WithoutBody(Func<Task> action) => async context =>
    {
        await RequestBody.RequireEmptyAsync(context);
        await action();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    };

    public static void Done(HttpContext context) => context.Response.StatusCode = StatusCodes.Status204NoContent;
}
