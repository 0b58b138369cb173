using Grpc.Core;

namespace OnnxKit.Server.Grpc;

/// <summary>
/// The gRPC status for each failure REST answers with a 4xx/5xx, so both protocols classify a bad request the same way
/// (the message is the REST error's).
/// </summary>
internal static class GrpcErrors
{
    public static StatusCode FromHttp(int status) => status switch
    {
        200 => StatusCode.OK,
        400 => StatusCode.InvalidArgument,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.NotFound,
        409 => StatusCode.FailedPrecondition,
        413 => StatusCode.ResourceExhausted,
        499 => StatusCode.Cancelled,
        503 => StatusCode.Unavailable,
        504 => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };

    /// <summary>The HTTP status REST would give for <paramref name="code"/>, for the shared request metrics.</summary>
    public static int ToHttp(StatusCode code) => code switch
    {
        StatusCode.OK => 200,
        StatusCode.InvalidArgument => 400,
        StatusCode.Unauthenticated => 401,
        StatusCode.PermissionDenied => 403,
        StatusCode.NotFound => 404,
        StatusCode.FailedPrecondition => 409,
        StatusCode.ResourceExhausted => 413,
        StatusCode.Cancelled => 499,
        StatusCode.Unavailable => 503,
        StatusCode.DeadlineExceeded => 504,
        _ => 500,
    };

    public static RpcException From(Exception e)
    {
        if (e is RpcException r) return r;
        var (status, message) = Errors.Classify(e);
        return new RpcException(new Status(FromHttp(status), message));
    }
}
