namespace HumanLoop.Functions.Functions;

/// <summary>
/// The names of the app's HTTP functions, as the self-hosted endpoints are named. Orchestrators are named as their
/// graphs and activities as <see cref="Durable.Orchestration.HumanLoopTaskNames"/>.
/// </summary>
internal static class FunctionNames
{
    /// <summary><c>POST api/orchestrators/{functionName}</c>.</summary>
    public const string StartRun = "StartRun";

    /// <summary><c>POST api/orchestrators/{functionName}/{instanceId}</c>.</summary>
    public const string StartRunWithId = "StartRunWithId";

    /// <summary><c>GET api/runs/{instanceId}/requests</c>.</summary>
    public const string ListOpenRequests = "ListOpenRequests";

    /// <summary><c>GET api/runs/{instanceId}/requests/{requestId}</c>.</summary>
    public const string GetOpenRequest = "GetOpenRequest";

    /// <summary><c>POST api/runs/{instanceId}/requests/{requestId}/respond</c>.</summary>
    public const string RespondToRequest = "RespondToRequest";

    /// <summary><c>POST api/runs/{instanceId}/requests/{requestId}/responses</c>: the callback API.</summary>
    public const string PostCallbackResponse = "PostCallbackResponse";

    /// <summary><c>GET api/runs/{instanceId}/live</c>: the live channel as Server-Sent Events.</summary>
    public const string LiveEvents = "LiveEvents";

    /// <summary><c>GET api/runs/{instanceId}/audit</c>.</summary>
    public const string GetRunAudit = "GetRunAudit";

    /// <summary><c>GET api/runs/{instanceId}/requests/{requestId}/audit</c>.</summary>
    public const string GetRequestAudit = "GetRequestAudit";
}
