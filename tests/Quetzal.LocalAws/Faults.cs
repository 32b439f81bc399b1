using System.Collections.Concurrent;
using Quetzal.Sdk.Model;

namespace Quetzal.LocalAws;

/// <summary>
/// AWS's everyday faults, on demand: the next invocations of a function (or RunTasks of a task definition family)
/// fail with the error Step Functions reports for them, as an idle image function answers
/// Lambda.CodeArtifactUserPendingException until its code is ready, and Fargate answers "Capacity is unavailable at
/// this time" (ECS.AmazonECSException). Tests arm them through /_local/fault.
/// </summary>
internal sealed class Faults
{
    private readonly ConcurrentDictionary<string, (string Error, int Left)> _armed = new();

    public void Arm(string target, string error, int count) => _armed[target] = (error, count);

    /// <summary>Throws the armed error for the target while it has occurrences left.</summary>
    public void Raise(string target)
    {
        while (_armed.TryGetValue(target, out var fault) && fault.Left > 0)
        {
            if (!_armed.TryUpdate(target, (fault.Error, fault.Left - 1), fault)) continue;
            throw new StateError(fault.Error, Cause(fault.Error));
        }
    }

    private static string Cause(string error) => error switch
    {
        "Lambda.CodeArtifactUserPendingException" => "Lambda is initializing your function. It will be ready to invoke shortly. (Service: Lambda, Status Code: 409, Request ID: 00000000-0000-0000-0000-000000000000)",
        "ECS.AmazonECSException" => "Capacity is unavailable at this time. Please try again later or in a different availability zone (Service: AmazonECS; Status Code: 400; Error Code: ClientException)",
        _ => error,
    };
}
