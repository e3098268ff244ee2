// dosirak-runtime: the OCI runtime command line (runc's verbs), for Docker, containerd and
// podman. See RuntimeCommand in the Runtime package.
import Runtime

RuntimeCommand.main(CommandLine.arguments)
