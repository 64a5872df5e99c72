from otmigrate.cli import main

main()
