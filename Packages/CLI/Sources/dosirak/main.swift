// dosirak (chapter 07): the command people type. `dosirak run -d -p 8080:80 --name web busybox ...`
// Installed also as `dosirak-runtime`, it is chapter 06's OCI runtime (runc's verbs).
import CLI

Dosirak.main(CommandLine.arguments)
