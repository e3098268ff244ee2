import Namespaces

extension IsolatedProcess: WaitableProcess {}
