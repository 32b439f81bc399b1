using System.Text.Json;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Stack;

/// <summary>The control plane of the tests is only worth its answers if the official SDK agrees with them.</summary>
[Collection(EndToEnd.PackedPackagesCollection.Name)] // one serial collection for everything that touches the stack
public sealed class ControlPlaneTests
{
    [StackFact]
    public void The_official_python_sdk_drives_every_operation_and_gets_faithful_answers()
    {
        LocalStack.EnsureRunning();
        var image = TestImages.Push("boto3-check");
        var script = Path.Combine(Repository.Root, "tests", "Quetzal.Sdk.Tests", "Stack", "control_plane_boto3.py");
        var result = Processes.Run("/usr/bin/python3", [script, LocalStack.ControlPlane, image], LocalStack.Environment_());
        Assert.True(result.ExitCode == 0, result.ToString());
        const string marker = "QUETZAL-ANSWER:";
        using var findings = JsonDocument.Parse(result.Output.Split('\n').Single(l => l.StartsWith(marker, StringComparison.Ordinal))[marker.Length..]);
        var f = findings.RootElement;
        string S(string name) => f.GetProperty(name).ToString();

        Assert.Equal("RepositoryNotFoundException", S("missing_repository"));
        Assert.StartsWith("127.0.0.1:5001/boto3-", S("repository_uri"));
        Assert.Equal("AWS", S("token_user"));
        Assert.Equal("True", S("token_expires_is_datetime"));
        Assert.Equal("StateMachineAlreadyExists", S("already_exists"));
        Assert.Equal("InvalidDefinition", S("invalid_definition"));
        Assert.Equal("True", S("listed_all_created"));
        Assert.True(f.GetProperty("list_pages").GetInt32() >= 3, "five machines at two a page take three pages or more");
        Assert.Equal("b", S("updated_definition_start"));
        Assert.Equal("StateMachineDoesNotExist", S("missing_machine"));
        Assert.Equal("ResourceNotFoundException", S("missing_function"));
        Assert.Equal("Pending", S("created_state"));
        Assert.Equal("ResourceConflictException", S("busy_update"));
        Assert.Equal(2048, f.GetProperty("memory").GetInt32());
        Assert.Equal(120, f.GetProperty("timeout").GetInt32());
        Assert.Equal(4096, f.GetProperty("storage").GetInt32());
        Assert.Equal("b", f.GetProperty("environment").GetProperty("BUCKET_NAME").GetString());
        Assert.Matches("^127.0.0.1:5001/boto3-check@sha256:[0-9a-f]{64}$", S("resolved_image_uri"));
        Assert.Equal("Successful", S("last_update_status"));
        Assert.Contains(S("function_name"), f.GetProperty("listed_functions").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("v1", f.GetProperty("described_tags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("True", S("described_digest_matches"));
        Assert.Equal("ImageNotFoundException", S("missing_image"));
        Assert.Equal("Failed", S("bad_image_status"));
        Assert.Contains("does not exist", S("bad_image_reason"));
        Assert.Equal("InvalidSignatureException", S("wrong_secret"));
        Assert.Contains("v1", f.GetProperty("listed_image_tags").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("ResourceNotFoundException", S("deleted_function"));

        Assert.Equal("ClientException", S("missing_task_definition"));
        Assert.Equal([1, 2, 3], f.GetProperty("revisions").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("True", S("registered_at_is_datetime"));
        Assert.Equal((3, "8192", 30), (f.GetProperty("latest_revision").GetInt32(), S("latest_memory"), f.GetProperty("latest_storage").GetInt32()));
        Assert.Equal(image, S("latest_image"));
        Assert.Equal("ClientException", S("bad_pair"));
        Assert.Equal("ClientException", S("bad_storage"));
        Assert.Equal(3, f.GetProperty("listed_revisions").GetInt32());
        Assert.Equal(2, f.GetProperty("latest_after_deregister").GetInt32());
        Assert.Equal("INACTIVE", S("deregistered_status"));
        Assert.Equal(1, f.GetProperty("inactive_listed").GetInt32());

        Assert.Equal("True", S("start_date_is_datetime"));
        Assert.Contains(":execution:boto3-", S("execution_arn"));
        Assert.Equal("SUCCEEDED", S("execution_status"));
        Assert.Equal("""{"scenario":"base","done":true}""", JsonSerializer.Serialize(f.GetProperty("execution_output")));
        Assert.Equal(["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"],
            f.GetProperty("history_types").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([1, 2, 3, 4, 5, 6], f.GetProperty("history_ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(["pick", "shape"], f.GetProperty("entered_names").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("True", S("timestamps_are_datetimes"));
        Assert.Equal("ExecutionAlreadyExists", S("same_name_again"));
        Assert.Equal("InvalidName", S("bad_name"));
        Assert.Contains("wait-", f.GetProperty("running_listed").EnumerateArray().Select(e => e.GetString()![..5]));
        Assert.Equal("ABORTED", S("stopped_status"));
        Assert.Equal("ExecutionAborted", S("stopped_last_event"));
        Assert.Equal("ExecutionDoesNotExist", S("missing_execution"));
    }
}
