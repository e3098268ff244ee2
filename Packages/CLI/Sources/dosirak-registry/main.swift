// dosirak-registry (chapter 07): `dosirak` with the registry code linked in. `dosirak pull`,
// `push`, `login` and `logout` become this program, and `run` starts it to pull a missing
// image, so that the everyday commands never load URLSession's libcurl and TLS libraries.
import CLI
import RegistryCommands

RegistryHelper.inProcess = RegistryCommands()
Dosirak.main(CommandLine.arguments)
