from zveno.cli import main

main()
