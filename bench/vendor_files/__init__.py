"""Writers of realistic vendor files of n records, for the connector benchmark."""
