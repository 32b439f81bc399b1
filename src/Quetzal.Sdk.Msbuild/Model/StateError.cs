namespace Quetzal.Sdk.Model;

/// <summary>An error raised while running a state, named as Step Functions names them (States.Runtime, a Lambda's error type...).</summary>
public class StateError(string error, string cause) : Exception($"{error}: {cause}")
{
    public string Error { get; } = error;
    public string Cause { get; } = cause;
}
