using System.Text.Json.Nodes;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Model;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// The model's state machine: the workflow file with its placeholders filled with the deployed resources (the Lambda
/// version the release published, the exact task definition revision) and its Fargate states completed, created or
/// updated when it differs, and published as a state machine version whose description records the release
/// (<see cref="Release"/>). Quenedi starts runs on the unqualified ARN, i.e. the newest revision; a run keeps the
/// definition, hence the code versions, it started with. Read by its ARN: one request, however many machines the account has.
/// </summary>
public sealed class StateMachineStep : PublishStep<StateMachineStep.Plan>, IReleaseStep
{
    public sealed record Plan(bool HasWrites, IReadOnlyList<string> Lines, string Arn, string Definition, bool Exists, string? TaskDefinitionArn = null, string? FunctionArn = null)
        : StepPlan(HasWrites, Lines);

    public StepPlan ForRelease(PublishContext context, StepPlan plan, Release release)
    {
        var machine = (Plan)plan;
        var verb = machine.Exists ? "update" : "create";
        return machine with { HasWrites = true, Lines = [$"State machine: would {verb} {context.Request.Names.StateMachineName} and publish it as {release.Tag}"] };
    }

    public override async Task<Plan> PlanAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var name = request.Names.StateMachineName;
        var account = context.Account;
        if (account is null) return new Plan(false, [$"State machine: not read ({name}): the account is known once the ECR repository exists"], "", "", false);
        if (!File.Exists(request.StateMachinePath)) throw new QuetzalException(Codes.StateMachineMissing, request.StateMachinePath);
        // A publish of the state machine alone names the task definition revision that is deployed.
        if (request.Fargate is not null && context.TaskDefinitionArn is null)
            context.TaskDefinitionArn = (await context.Clients.Ecs.DescribeTaskDefinitionAsync(Fargate.Family(request.Names.ModelName), cancellation))?.Arn;
        var definition = await RenderAsync(context, cancellation);
        var arn = account.StateMachineArn(name);
        var current = await context.Clients.StepFunctions.TryDescribeStateMachineAsync(arn, cancellation);
        var revision = request.Fargate is null ? "" : $" (Fargate states on {Revision(context.TaskDefinitionArn)})";
        if (current is null) return new Plan(true, [$"State machine: would create {name}{revision}"], arn, definition, false, context.TaskDefinitionArn, context.FunctionArn);
        if (JsonNode.DeepEquals(JsonNode.Parse(current.Definition), JsonNode.Parse(definition)))
            return new Plan(false, [$"State machine: unchanged ({name})"], arn, definition, true, context.TaskDefinitionArn, context.FunctionArn);
        return new Plan(true, [$"State machine: would update {name}{revision}"], arn, definition, true, context.TaskDefinitionArn, context.FunctionArn);
    }

    private static async Task<string> RenderAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        return StateMachineRenderer.Render(await File.ReadAllTextAsync(request.StateMachinePath, cancellation),
            Placeholders.Values(request.Names, context.Account!, context.FunctionArn, context.TaskDefinitionArn), request.Fargate);
    }

    private static string Published(string? versionArn) => versionArn is null ? "" : $"; version {versionArn[(versionArn.LastIndexOf(':') + 1)..]}";

    private static string Revision(string? arn) => arn is null ? "the family's first revision" : arn[(arn.LastIndexOf('/') + 1)..];

    public override async Task<IReadOnlyList<string>> ApplyAsync(PublishContext context, Plan plan, CancellationToken cancellation)
    {
        var request = context.Request;
        var name = request.Names.StateMachineName;
        // The Lambda version and task definition revision are known once their steps have applied (another
        // registration in between may also have taken the revision planned).
        var definition = plan.TaskDefinitionArn == context.TaskDefinitionArn && plan.FunctionArn == context.FunctionArn ? plan.Definition : await RenderAsync(context, cancellation);
        plan = plan with { Definition = definition };
        var description = context.Release?.Describe();
        string? version;
        if (!plan.Exists)
        {
            (_, version) = await context.Clients.StepFunctions.CreateStateMachineAsync(name, plan.Definition, context.Account!.RoleArn(ResourceNames.StateMachineRole(request.Names.ModelName)), description, cancellation);
            return [$"State machine: created {name}{Published(version)}"];
        }
        version = await context.Clients.StepFunctions.UpdateStateMachineAsync(plan.Arn, plan.Definition, description, cancellation);
        return [$"State machine: updated {name}{Published(version)}"];
    }
}
