from ocpp_ledger.cli import main

main()
